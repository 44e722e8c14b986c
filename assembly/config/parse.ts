// parseConfig: the plugin configuration's JSON bytes → Config, or one error line. Pure; called
// once, in onConfigure. Never aborts, whatever the bytes (see json/parse.ts).
//
// Two forms (docs/config-spec.md):
//   native    {"key", "routes"?, "default"?, "decisionHeader"?}
//   original  {"key", "destination"?, "rewrites"}   — chosen when the object has "rewrites"
import { JsonValue, parseJson } from "../json";
import { Action, Config, ConfigResult, HeaderOp, HeaderOpKind, KeySource, Route } from "./model";
import { Parsed, Problem, ROOT, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { ActionBuilder } from "./action";
import { parseKeySources, parseHeaderKey } from "./keysource";
import { parseRoutes, checkKey, MAX_ROUTES } from "./routes";
import { checkHeaderValue, opHeaderName, responseHeaderName } from "./headers";

const NATIVE_FIELDS = "key, routes, default, decisionHeader";
const ORIGINAL_FIELDS = "key, destination, rewrites";
const DEFAULT_FIELDS = "destination, requestHeaders";
const REWRITE_FIELDS = "patch, destination";
const PATCH_FIELDS = "key, val";

/** Parses the configuration bytes (UTF-8 JSON). */
export function parseConfig(bytes: Uint8Array): ConfigResult {
  if (isBlank(bytes)) return ConfigResult.fail(ROOT + ': empty: expected a JSON object with "key" and "routes"');
  const json = parseJson(bytes);
  if (json.error !== null) return ConfigResult.fail(json.message(ROOT));
  return configFromJson(json.value!);
}

/** parseConfig for a string (tests, tools). */
export function parseConfigString(s: string): ConfigResult {
  return parseConfig(Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE)));
}

/** Builds the Config from an already parsed JSON document. */
export function configFromJson(root: JsonValue): ConfigResult {
  const r = root.isObject ? (root.has("rewrites") ? parseOriginal(root) : parseNative(root))
                          : fail<Config>(expected("a JSON object", root));
  if (r.problem !== null) return ConfigResult.fail(r.problem!.line());
  return ConfigResult.ok(r.value!);
}

function parseNative(root: JsonValue): Parsed<Config> {
  let sources: KeySource[] | null = null;
  let routes: Route[] = [];
  let defaultAction: Action | null = null;
  let decisionHeader: string | null = null;
  for (let i = 0, n = root.keys.length; i < n; i++) {
    const field = unchecked(root.keys[i]);
    const value = unchecked(root.items[i]);
    let p: Problem | null = null;
    if (field == "key") {
      const r = parseKeySources(value);
      p = r.problem;
      sources = r.value;
    } else if (field == "routes") {
      const r = parseRoutes(value);
      p = r.problem;
      if (p === null) routes = r.value!;
    } else if (field == "default") {
      const b = new ActionBuilder();
      p = parseDefault(value, b);
      defaultAction = b.build("default");
    } else if (field == "decisionHeader") {
      if (!value.isString) {
        p = expected("a header name", value);
      } else {
        const name = responseHeaderName(value.str);
        if (name.name === null) p = expected(name.expected, value);
        decisionHeader = name.name;
      }
    } else {
      return fail<Config>(unknownField(field, NATIVE_FIELDS));
    }
    if (p !== null) return fail<Config>(p.inField(field));
  }
  if (sources === null) return fail<Config>(missingField("key"));
  if (routes.length == 0 && defaultAction === null) {
    return fail<Config>(problem('nothing to route: expected at least one route in "routes", or a "default"'));
  }
  return ok(new Config(sources, routes, defaultAction, decisionHeader));
}

/** `default`: `{ "destination"?, "requestHeaders"? }` with at least one, into `b`. */
function parseDefault(v: JsonValue, b: ActionBuilder): Problem | null {
  if (!v.isObject) return expected('an object with "destination" and/or "requestHeaders"', v);
  for (let i = 0, n = v.keys.length; i < n; i++) {
    const field = unchecked(v.keys[i]);
    const value = unchecked(v.items[i]);
    let p: Problem | null;
    if (field == "destination") p = b.destination(value);
    else if (field == "requestHeaders") p = b.requestHeaders(value);
    else return unknownField(field, DEFAULT_FIELDS);
    if (p !== null) return p.inField(field);
  }
  if (!b.hasDestination && !b.hasHeaders) return problem('expected "destination" or "requestHeaders"');
  return null;
}

// ---- the original dispatcher's form ----------------------------------------------------------

function parseOriginal(root: JsonValue): Parsed<Config> {
  if (root.has("routes") || root.has("default")) {
    return fail<Config>(problem('expected either "rewrites" (original form) or "routes"/"default", not both'));
  }
  let sources: KeySource[] | null = null;
  let defaultAction: Action | null = null;
  const routes = new Array<Route>();
  for (let i = 0, n = root.keys.length; i < n; i++) {
    const field = unchecked(root.keys[i]);
    const value = unchecked(root.items[i]);
    let p: Problem | null = null;
    if (field == "key") {
      const r = parseHeaderKey(value);
      p = r.problem;
      sources = r.value;
    } else if (field == "destination") {
      const b = new ActionBuilder();
      p = b.destination(value);
      defaultAction = b.build("default");
    } else if (field == "rewrites") {
      p = parseRewrites(value, routes);
    } else {
      return fail<Config>(unknownField(field, ORIGINAL_FIELDS));
    }
    if (p !== null) return fail<Config>(p.inField(field));
  }
  if (sources === null) return fail<Config>(missingField("key"));
  if (routes.length == 0 && defaultAction === null) {
    return fail<Config>(problem('nothing to route: expected at least one entry in "rewrites", or a "destination"'));
  }
  return ok(new Config(sources, routes, defaultAction, null));
}

/**
 * `rewrites`: `{VALUE: {"patch"?: [{"key", "val"}], "destination"?}}`. Each VALUE becomes a route
 * named VALUE with keys [VALUE], appended to `out` in document order.
 */
function parseRewrites(v: JsonValue, out: Route[]): Problem | null {
  if (!v.isObject) return expected("an object of routing key values to rewrites", v);
  const n = v.keys.length;
  if (n > MAX_ROUTES) {
    return problem("expected at most " + MAX_ROUTES.toString() + " entries, got " + n.toString());
  }
  for (let i = 0; i < n; i++) {
    const value = unchecked(v.keys[i]);
    const p = parseRewrite(value, unchecked(v.items[i]), out);
    if (p !== null) return p.inField(value);
  }
  return null;
}

/** One `rewrites` entry: VALUE → `{"patch"?, "destination"?}`. */
function parseRewrite(value: string, rewrite: JsonValue, out: Route[]): Problem | null {
  const bad = checkKey(JsonValue.string(value));
  if (bad !== null) return problem("expected " + bad + " as the routing key value");
  if (!rewrite.isObject) return expected('an object with "patch" and/or "destination"', rewrite);
  const b = new ActionBuilder();
  for (let f = 0, m = rewrite.keys.length; f < m; f++) {
    const field = unchecked(rewrite.keys[f]);
    const fv = unchecked(rewrite.items[f]);
    let p: Problem | null;
    if (field == "destination") p = b.destination(fv);
    else if (field == "patch") p = parsePatch(fv, b.ops);
    else return unknownField(field, REWRITE_FIELDS);
    if (p !== null) return p.inField(field);
  }
  out.push(new Route(value, [value], b.build(value)));
  return null;
}

/** `patch`: `[{"key": NAME, "val": SCALAR}]` → set operations, in order, appended to `ops`. */
function parsePatch(v: JsonValue, ops: HeaderOp[]): Problem | null {
  if (!v.isArray) return expected('an array of {"key": NAME, "val": VALUE}', v);
  for (let i = 0, n = v.items.length; i < n; i++) {
    const p = parsePatchEntry(unchecked(v.items[i]), ops);
    if (p !== null) return p.inIndex(i);
  }
  return null;
}

function parsePatchEntry(entry: JsonValue, ops: HeaderOp[]): Problem | null {
  if (!entry.isObject) return expected('{"key": NAME, "val": VALUE}', entry);
  let name: string | null = null;
  let text: string | null = null;
  for (let f = 0, m = entry.keys.length; f < m; f++) {
    const field = unchecked(entry.keys[f]);
    const fv = unchecked(entry.items[f]);
    if (field == "key") {
      if (!fv.isString) return expected("a header name", fv).inField(field);
      const r = opHeaderName(fv.str, true);
      if (r.name === null) return expected(r.expected, fv).inField(field);
      name = r.name;
    } else if (field == "val") {
      if (fv.isArray || fv.isObject) return expected("a string, number, boolean or null", fv).inField(field);
      // A non-string scalar becomes its JSON text as written: true → "true", 1.50 → "1.50".
      const t = fv.isString ? fv.str : fv.scalarText();
      const bad = checkHeaderValue(t);
      if (bad !== null) return expected(bad, fv).inField(field);
      text = t;
    } else {
      return unknownField(field, PATCH_FIELDS);
    }
  }
  if (name === null) return missingField("key");
  if (text === null) return missingField("val");
  ops.push(new HeaderOp(HeaderOpKind.Set, name, text));
  return null;
}

/** Whether `bytes` is empty or only JSON whitespace. */
function isBlank(bytes: Uint8Array): bool {
  for (let i = 0, n = bytes.length; i < n; i++) {
    const c = unchecked(bytes[i]);
    if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) return false;
  }
  return true;
}
