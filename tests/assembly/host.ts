// The unit host (host/lib/unit-host.ts) as a spec sees it: the stream's request header map,
// reached only through proxy-wasm calls, as the filter reaches it. as-pect.config.js puts every
// spec inside on_request_headers of one stream with the request header window open.
//
// A spec using it must export the module's allocator for the host to copy values into:
//   export { malloc } from "./host";   (or "../host")
//
// sdk.ts wraps only the calls the filter makes; reading and replacing the whole map (to assert on
// it, to start each test from an empty map) uses the SDK's declarations of the two pairs calls.
import { proxy_get_header_map_pairs, proxy_set_header_map_pairs } from "@solo-io/proxy-runtime/assembly/imports";
import {
  HeaderMap, addHeaderRaw, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes, WasmResultValues,
} from "../../assembly/sdk";
import { compileConfiguration } from "../../assembly/rules/compile";
import { RuleTable } from "../../assembly/rules/table";

export { malloc } from "@solo-io/proxy-runtime/assembly/malloc";

// Serialized pairs with a count of 0: the host reads them as an empty map.
const NO_PAIRS = memory.data(4);
const outPtr = memory.data(8);
const outLen = memory.data(8);

function bytes(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** Empties the request header map (through proxy_set_header_map_pairs); the host's result. */
export function clearRequest(): u32 {
  return <u32>proxy_set_header_map_pairs(<i32>HeaderMap.Request, NO_PAIRS, 4);
}

/** proxy_add_header_map_value on the request map; the host's result. */
export function addRequest(name: string, value: string): u32 {
  let n = bytes(name);
  let v = bytes(value);
  return addHeaderRaw(HeaderMap.Request, changetype<usize>(n), n.byteLength, changetype<usize>(v), v.byteLength);
}

/** The request header's first value as the host answers it, or null when it is not found. */
export function requestValue(name: string): string | null {
  let n = bytes(name);
  if (!getHeaderRaw(HeaderMap.Request, changetype<usize>(n), n.byteLength)) return null;
  let value = String.UTF8.decodeUnsafe(hostBytesPtr(), hostBytesLen());
  freeHostBytes(hostBytesPtr());
  return value;
}

/** The whole request header map, one "name: value" line each, in the host's order. */
export function requestHeaders(): string {
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  let r = proxy_get_header_map_pairs(<i32>HeaderMap.Request, outPtr, outLen);
  if (r != WasmResultValues.Ok) return "result " + r.toString();
  let buf = load<usize>(outPtr);
  if (buf == 0) return "";
  let count = load<u32>(buf);
  let lines = new Array<string>();
  let data = buf + 4 + <usize>count * 8;
  for (let i: u32 = 0; i < count; i++) {
    let klen = <usize>load<u32>(buf + 4 + <usize>i * 8);
    let vlen = <usize>load<u32>(buf + 8 + <usize>i * 8);
    let key = String.UTF8.decodeUnsafe(data, klen);
    let value = String.UTF8.decodeUnsafe(data + klen + 1, vlen);
    lines.push(key + ": " + value);
    data += klen + vlen + 2;
  }
  freeHostBytes(buf);
  return lines.join("\n");
}

/** The rule table the filter would compile from this configuration (it must be valid). */
export function tableFor(config: string): RuleTable {
  let b = bytes(config);
  let compiled = compileConfiguration(changetype<usize>(b), b.byteLength);
  assert(compiled.error === null, compiled.error !== null ? compiled.error! : "");
  return compiled.table!;
}
