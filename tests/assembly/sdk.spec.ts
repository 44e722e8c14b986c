// sdk.ts's raw header calls against the host's real request header map (the unit host: see
// tests/assembly/host.ts). What is asserted is the host's answer and the map it leaves.
import {
  HeaderMap, getHeaderRaw, replaceHeaderRaw, removeHeaderRaw, WasmResultValues,
} from "../../assembly/sdk";
import { addRequest, clearRequest, requestHeaders, requestValue } from "./host";

export { malloc } from "./host";

function bytes(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function replace(name: string, value: string): u32 {
  let n = bytes(name);
  let v = bytes(value);
  return replaceHeaderRaw(HeaderMap.Request, changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
}

function remove(name: string): u32 {
  let n = bytes(name);
  return removeHeaderRaw(HeaderMap.Request, changetype<usize>(n), n.byteLength);
}

describe("sdk raw header calls", () => {
  beforeEach(() => {
    expect(clearRequest()).toBe(WasmResultValues.Ok);
  });

  it("stores names lower-cased and finds them whatever their case (the host, as Envoy)", () => {
    expect(addRequest("X-Env", "Dev")).toBe(WasmResultValues.Ok);
    expect(requestHeaders()).toBe("x-env: Dev", "values keep their case");
    expect(requestValue("x-ENV")).toBe("Dev");
  });

  it("answers NotFound for a missing header (getHeaderRaw false), not an empty value", () => {
    expect(addRequest("x-present", "")).toBe(WasmResultValues.Ok);
    let n = bytes("x-missing");
    expect(getHeaderRaw(HeaderMap.Request, changetype<usize>(n), n.byteLength)).toBe(false);
    expect(requestValue("x-present")).toBe("", "a present empty value is Ok with no bytes");
  });

  it("adds a second value, replaces every value, removes every value", () => {
    addRequest("x-a", "1");
    addRequest("x-b", "keep");
    addRequest("x-a", "2");
    expect(requestHeaders()).toBe("x-a: 1\nx-b: keep\nx-a: 2");
    expect(requestValue("x-a")).toBe("1", "the first value");
    expect(replace("X-A", "3")).toBe(WasmResultValues.Ok);
    expect(requestHeaders()).toBe("x-b: keep\nx-a: 3");
    expect(remove("x-a")).toBe(WasmResultValues.Ok);
    expect(requestHeaders()).toBe("x-b: keep");
    expect(remove("x-a")).toBe(WasmResultValues.Ok, "removing a missing header is not an error");
  });

  it("keeps pseudo-headers before regular ones", () => {
    addRequest("x-a", "1");
    addRequest(":path", "/p");
    expect(requestHeaders()).toBe(":path: /p\nx-a: 1");
  });
});
