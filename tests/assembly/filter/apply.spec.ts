// applyAction (assembly/filter/apply.ts) changing the host's request header map.
import { applyAction } from "../../../assembly/filter/apply";
import { addRequest, clearRequest, requestHeaders, tableFor } from "../host";

export { malloc } from "../host";

const CONFIG = '{"key":"x-env","routes":[' +
  '{"name":"dev","keys":["dev"],"destination":"dev.svc:8080",' +
  '"requestHeaders":{"set":{"X-Sandbox":"dev"},"add":{"x-trace":"1"},"remove":["x-debug"]}},' +
  '{"name":"api","keys":["api"],"destination":"http://api.svc/api"},' +
  '{"name":"ops","keys":["ops"],"requestHeaders":{"set":{"host":"ops.example"}}}],' +
  '"default":{"requestHeaders":{"add":{"x-default":"yes"}}}}';

const DEV = 0;
const API = 1;
const OPS = 2;
const DEFAULT = 3;

describe("applyAction", () => {
  beforeEach(() => {
    clearRequest();
    addRequest(":authority", "front.example");
    addRequest(":path", "/hello?x=1");
  });

  it("sets the destination's :authority, then sets, adds and removes headers", () => {
    addRequest("x-sandbox", "old");
    addRequest("x-sandbox", "older");
    addRequest("x-trace", "0");
    addRequest("x-debug", "1");
    addRequest("X-Debug", "2");
    applyAction(tableFor(CONFIG), DEV);
    expect(requestHeaders()).toBe(
      ":path: /hello?x=1\n:authority: dev.svc:8080\nx-trace: 0\nx-sandbox: dev\nx-trace: 1");
  });

  it("prefixes an origin-form :path with the destination's path", () => {
    applyAction(tableFor(CONFIG), API);
    expect(requestHeaders()).toBe(":authority: api.svc\n:path: /api/hello?x=1");
  });

  it("leaves a path that is not origin-form, and adds none when there is no :path", () => {
    let t = tableFor(CONFIG);
    clearRequest();
    addRequest(":path", "*");
    applyAction(t, API);
    expect(requestHeaders()).toBe(":path: *\n:authority: api.svc", "replaced pseudo-headers go after the others");
    clearRequest();
    applyAction(t, API);
    expect(requestHeaders()).toBe(":authority: api.svc");
  });

  it("sets :authority from a Host operation, and applies the default action", () => {
    let t = tableFor(CONFIG);
    applyAction(t, OPS);
    expect(requestHeaders()).toBe(":path: /hello?x=1\n:authority: ops.example");
    applyAction(t, DEFAULT);
    expect(requestHeaders()).toBe(":path: /hello?x=1\n:authority: ops.example\nx-default: yes");
  });
});
