// The plugin configuration's JSON bytes → its pieces, handed to a ConfigSink (config/sink.ts), or
// one error line. Pure; runs once, in onConfigure, where the sink is the rule table builder
// (rules/compile.ts); `parseConfig` collects a Config instead, for tests and tools. Never aborts,
// whatever the bytes (see json/parse.ts).
//
// Two forms (docs/config-spec.md):
//   native    {"key", "routes"?, "default"?, "decisionHeader"?}
//   original  {"key", "destination"?, "rewrites"}   — chosen when the object has "rewrites"
import { JsonValue, parseJsonBytes } from "../json";
import { Action, ConfigResult, HeaderOp, HeaderOpKind, KeySource, Route } from "./model";
import { Problem, ROOT, expected, problem, unknownField, missingField } from "./errors";
import { ActionBuilder } from "./action";
import { parseKeySources, parseHeaderKey } from "./keysource";
import { parseRoutes, checkKey, MAX_ROUTES } from "./routes";
import { checkHeaderValue, opHeaderName, responseHeaderName } from "./headers";
import { ConfigCollector, ConfigSink } from "./sink";
import { sizeNative, sizeOriginal } from "./sizes";

const NATIVE_FIELDS = "key, routes, default, decisionHeader";
const ORIGINAL_FIELDS = "key, destination, rewrites";
const DEFAULT_FIELDS = "destination, requestHeaders";
const REWRITE_FIELDS = "patch, destination";
const PATCH_FIELDS = "key, val";

/** Parses the configuration bytes (UTF-8 JSON) into a Config: for tests and tools. */
export function parseConfig(bytes: Uint8Array): ConfigResult {
  const collector = new ConfigCollector();
  const error = parseConfigBytes(bytes.dataStart, bytes.length, collector);
  if (error !== null) return ConfigResult.fail(error);
  return ConfigResult.ok(collector.config!); // no error: the collector saw the whole configuration
}

/** parseConfig for a string (tests, tools). */
export function parseConfigString(s: string): ConfigResult {
  return parseConfig(Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE)));
}

/**
 * Parses the configuration bytes (UTF-8 JSON) at ptr..ptr+len into `sink` (the filter's is the
 * rule table builder). Returns the error line, or null when `sink` got the whole configuration.
 */
export function parseConfigBytes(ptr: usize, len: i32, sink: ConfigSink): string | null {
  if (isBlank(ptr, len)) return ROOT + ': empty: expected a JSON object with "key" and "routes"';
  const json = parseJsonBytes(ptr, len);
  if (json.error !== null) return json.message(ROOT);
  const error = configFromJson(json.value!, sink);
  json.release();
  return error;
}

/** Reads the configuration from an already parsed JSON document into `sink`; the error line or null. */
export function configFromJson(root: JsonValue, sink: ConfigSink): string | null {
  const p = root.isObject ? (root.has("rewrites") ? parseOriginal(root, sink) : parseNative(root, sink))
                          : expected("a JSON object", root);
  return p !== null ? p.line() : null;
}

function parseNative(root: JsonValue, sink: ConfigSink): Problem | null {
  sink.begin(sizeNative(root));
  let sources: KeySource[] | null = null;
  let routeCount = 0;
  let defaultAction: Action | null = null;
  let decisionHeader: string | null = null;
  const f = root.fields();
  while (f.next()) {
    const value = f.value;
    let p: Problem | null = null;
    if (f.is("key")) {
      const r = parseKeySources(value);
      p = r.problem;
      sources = r.value;
    } else if (f.is("routes")) {
      p = parseRoutes(value, sink);
      routeCount = value.length;
    } else if (f.is("default")) {
      const b = new ActionBuilder();
      p = parseDefault(value, b);
      defaultAction = b.build("default");
    } else if (f.is("decisionHeader")) {
      if (!value.isString) {
        p = expected("a header name", value);
      } else {
        const name = responseHeaderName(value.str);
        if (name.name === null) p = expected(name.expected, value);
        decisionHeader = name.name;
      }
    } else {
      return unknownField(f.name, NATIVE_FIELDS);
    }
    if (p !== null) return p.inField(f.name);
  }
  if (sources === null) return missingField("key");
  if (routeCount == 0 && defaultAction === null) {
    return problem('nothing to route: expected at least one route in "routes", or a "default"');
  }
  sink.end(sources, defaultAction, decisionHeader);
  return null;
}

/** `default`: `{ "destination"?, "requestHeaders"? }` with at least one, into `b`. */
function parseDefault(v: JsonValue, b: ActionBuilder): Problem | null {
  if (!v.isObject) return expected('an object with "destination" and/or "requestHeaders"', v);
  const f = v.fields();
  while (f.next()) {
    const value = f.value;
    let p: Problem | null;
    if (f.is("destination")) p = b.destination(value);
    else if (f.is("requestHeaders")) p = b.requestHeaders(value);
    else return unknownField(f.name, DEFAULT_FIELDS);
    if (p !== null) return p.inField(f.name);
  }
  if (!b.hasDestination && !b.hasHeaders) return problem('expected "destination" or "requestHeaders"');
  return null;
}

// ---- the original dispatcher's form ----------------------------------------------------------

function parseOriginal(root: JsonValue, sink: ConfigSink): Problem | null {
  if (root.has("routes") || root.has("default")) {
    return problem('expected either "rewrites" (original form) or "routes"/"default", not both');
  }
  sink.begin(sizeOriginal(root));
  let sources: KeySource[] | null = null;
  let defaultAction: Action | null = null;
  let routeCount = 0;
  const f = root.fields();
  while (f.next()) {
    const value = f.value;
    let p: Problem | null = null;
    if (f.is("key")) {
      const r = parseHeaderKey(value);
      p = r.problem;
      sources = r.value;
    } else if (f.is("destination")) {
      const b = new ActionBuilder();
      p = b.destination(value);
      defaultAction = b.build("default");
    } else if (f.is("rewrites")) {
      p = parseRewrites(value, sink);
      routeCount = value.length;
    } else {
      return unknownField(f.name, ORIGINAL_FIELDS);
    }
    if (p !== null) return p.inField(f.name);
  }
  if (sources === null) return missingField("key");
  if (routeCount == 0 && defaultAction === null) {
    return problem('nothing to route: expected at least one entry in "rewrites", or a "destination"');
  }
  sink.end(sources, defaultAction, null);
  return null;
}

/**
 * `rewrites`: `{VALUE: {"patch"?: [{"key", "val"}], "destination"?}}`. Each VALUE becomes a route
 * named VALUE with keys [VALUE], handed to `sink` in document order.
 */
function parseRewrites(v: JsonValue, sink: ConfigSink): Problem | null {
  if (!v.isObject) return expected("an object of routing key values to rewrites", v);
  const n = v.length;
  if (n > MAX_ROUTES) {
    return problem("expected at most " + MAX_ROUTES.toString() + " entries, got " + n.toString());
  }
  // Field names are unique (the JSON parser refuses duplicates), so the keys are too.
  const f = v.fields();
  while (f.next()) {
    const p = parseRewrite(f.key, f.value, sink);
    if (p !== null) return p.inField(f.name);
  }
  return null;
}

/** One `rewrites` entry: VALUE → `{"patch"?, "destination"?}`. */
function parseRewrite(key: JsonValue, rewrite: JsonValue, sink: ConfigSink): Problem | null {
  const value = key.str;
  const bad = checkKey(key, value);
  if (bad !== null) return problem("expected " + bad + " as the routing key value");
  if (!rewrite.isObject) return expected('an object with "patch" and/or "destination"', rewrite);
  const b = new ActionBuilder();
  const f = rewrite.fields();
  while (f.next()) {
    const fv = f.value;
    let p: Problem | null;
    if (f.is("destination")) p = b.destination(fv);
    else if (f.is("patch")) p = parsePatch(fv, b.ops);
    else return unknownField(f.name, REWRITE_FIELDS);
    if (p !== null) return p.inField(f.name);
  }
  sink.route(new Route(value, [value], b.build(value)));
  return null;
}

/** `patch`: `[{"key": NAME, "val": SCALAR}]` → set operations, in order, appended to `ops`. */
function parsePatch(v: JsonValue, ops: HeaderOp[]): Problem | null {
  if (!v.isArray) return expected('an array of {"key": NAME, "val": VALUE}', v);
  const e = v.elements();
  while (e.next()) {
    const p = parsePatchEntry(e.value, ops);
    if (p !== null) return p.inIndex(e.index);
  }
  return null;
}

function parsePatchEntry(entry: JsonValue, ops: HeaderOp[]): Problem | null {
  if (!entry.isObject) return expected('{"key": NAME, "val": VALUE}', entry);
  let name: string | null = null;
  let text: string | null = null;
  const f = entry.fields();
  while (f.next()) {
    const fv = f.value;
    if (f.is("key")) {
      if (!fv.isString) return expected("a header name", fv).inField("key");
      const r = opHeaderName(fv.str, true);
      if (r.name === null) return expected(r.expected, fv).inField("key");
      name = r.name;
    } else if (f.is("val")) {
      if (fv.isArray || fv.isObject) return expected("a string, number, boolean or null", fv).inField("val");
      // A non-string scalar becomes its JSON text as written: true → "true", 1.50 → "1.50".
      const t = fv.isString ? fv.str : fv.scalarText();
      const bad = checkHeaderValue(t);
      if (bad !== null) return expected(bad, fv).inField("val");
      text = t;
    } else {
      return unknownField(f.name, PATCH_FIELDS);
    }
  }
  if (name === null) return missingField("key");
  if (text === null) return missingField("val");
  ops.push(new HeaderOp(HeaderOpKind.Set, name, text));
  return null;
}

/** Whether the bytes at ptr..ptr+len are none or only JSON whitespace. */
function isBlank(ptr: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(ptr + <usize>i);
    if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) return false;
  }
  return true;
}
