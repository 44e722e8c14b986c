// The two configuration forms share one skeleton (config/form.ts): the original form is a
// translation into the native model, so a rewrites document and its native spelling are the
// same configuration, and both are sized by the same walk.
import { parseConfigString } from "../../../assembly/config/parse";
import { Action, Config } from "../../../assembly/config/model";
import { parseJsonString } from "../../../assembly/json";
import { sizeForm } from "../../../assembly/config/form";
import { NATIVE_FORM } from "../../../assembly/config/native";
import { ORIGINAL_FORM } from "../../../assembly/config/original";
import { ConfigSizes } from "../../../assembly/config/sizes";

function actionText(a: Action | null): string {
  if (a === null) return "none";
  let s = a.name + " " + (a.authority !== null ? a.authority! : "-") + " " + (a.pathPrefix !== null ? a.pathPrefix! : "-");
  for (let i = 0; i < a.headerOps.length; i++) {
    let op = a.headerOps[i];
    s += " " + (<i32>op.kind).toString() + ":" + op.name + "=" + op.value;
  }
  return s;
}

function configText(src: string): string {
  let r = parseConfigString(src);
  expect(r.error).toBeNull(src);
  let c: Config = r.config!;
  let parts = new Array<string>();
  for (let i = 0; i < c.keySources.length; i++) parts.push("source " + c.keySources[i].name);
  for (let i = 0; i < c.routes.length; i++) {
    let route = c.routes[i];
    parts.push("route " + route.name + " [" + route.keys.join(",") + "] " + actionText(route.action));
  }
  parts.push("default " + actionText(c.defaultAction));
  parts.push("decision " + (c.decisionHeader !== null ? c.decisionHeader! : "-"));
  return parts.join("\n");
}

function sizesOf(src: string, original: bool): ConfigSizes {
  let json = parseJsonString(src);
  let sizes = sizeForm(json.value!, original ? ORIGINAL_FORM : NATIVE_FORM);
  json.release();
  return sizes;
}

const ORIGINAL = '{"key": "Environment", "destination": "http://baseline.svc/v1", "rewrites": {' +
  '"dev": {"patch": [{"key": "x-env", "val": "dev"}, {"key": "x-n", "val": 1.50}], "destination": "dev.svc:8080"},' +
  '"pr": {"destination": "https://pr.svc/api/"}, "bare": {}}}';

const NATIVE = '{"key": "environment", "routes": [' +
  '{"name": "dev", "keys": ["dev"], "destination": "dev.svc:8080", "requestHeaders": {"set": {"x-env": "dev", "x-n": "1.50"}}},' +
  '{"name": "pr", "keys": ["pr"], "destination": "https://pr.svc/api/"},' +
  '{"name": "bare", "keys": ["bare"], "requestHeaders": {}}], "default": {"destination": "http://baseline.svc/v1"}}';

describe("configuration forms", () => {
  it("reads the original form as its native translation", () => {
    expect(configText(ORIGINAL)).toBe(configText(NATIVE));
  });

  it("sizes the original form's rewrites as routes", () => {
    let s = sizesOf(ORIGINAL, true);
    expect(s.routes).toBe(3);
    expect(s.keys).toBe(3);
    // dev: its destination and two patch entries; pr: its destination; the default's destination
    expect(s.ops).toBe(5);
    let n = sizesOf(NATIVE, false);
    expect(n.routes).toBe(3);
    expect(n.keys).toBe(3);
    expect(n.ops).toBe(5);
  });
});
