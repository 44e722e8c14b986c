// A `routes` array: the part of the configuration that a rules document fetched from a server
// will reuse (`parseRoutes(doc.routes, sink)`, then `problem.inField("routes")`).
//
//   { "name": "dev", "keys": ["dev", "development"], "destination": "dev.svc:8080",
//     "requestHeaders": { "set": {…}, "add": {…}, "remove": […] } }
//
// Names are unique and not `default`/`none`; a route without "name" is named after its first key
// (which must then be a valid name). A key belongs to one route only.
import { isWord } from "../bytes";
import { JsonValue, StringSet, indexPath, quote } from "../json";
import { Route } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { ActionBuilder, ActionField, actionField } from "./action";
import { ConfigSink } from "./sink";
import { hasLineBreakOrNul } from "./headers";

export const MAX_ROUTES = 100000;
export const MAX_NAME_CHARS = 64;
export const MAX_KEY_BYTES = 4096;

const ROUTE_FIELDS = "name, keys, destination, requestHeaders, responseHeaders";

/**
 * The route-count limit, for either form: null when `n` routes are allowed, else the problem
 * (`noun`: what the document calls them, "routes" or, in the original form, "entries").
 */
export function checkRouteCount(n: i32, noun: string): Problem | null {
  if (n <= MAX_ROUTES) return null;
  return problem("expected at most " + MAX_ROUTES.toString() + " " + noun + ", got " + n.toString());
}
const EXPECTED_NAME = "a name of 1 to 64 characters A-Z a-z 0-9 _ -";

/**
 * Parses a routes array into `sink` (begun already: see sizes.ts), checking that names and keys
 * are unique across it. `listPath` (the array's own path) only names the earlier route in a
 * duplicate-name message.
 */
export function parseRoutes(v: JsonValue, sink: ConfigSink, listPath: string = "routes"): Problem | null {
  if (!v.isArray) return expected("an array of routes", v);
  const n = v.length;
  const tooMany = checkRouteCount(n, "routes");
  if (tooMany !== null) return tooMany;
  // Uniqueness is checked on the document's strings: no copy of 100k names and keys.
  const names = new StringSet(v.doc, n);
  const keys = new StringSet(v.doc, n); // grows if routes have several keys
  const p = parseEach(v, sink, names, keys, listPath);
  names.release();
  keys.release();
  return p;
}

function parseEach(v: JsonValue, sink: ConfigSink, names: StringSet, keys: StringSet, listPath: string): Problem | null {
  const e = v.elements();
  while (e.next()) {
    const i = e.index;
    const r = parseRoute(e.value);
    if (r.problem !== null) return r.problem!.inIndex(i);
    const parsed = r.value!;
    if (!names.add(parsed.name.at)) {
      const where = indexPath(listPath, firstNamed(v, parsed.name));
      const dup = problem("name " + quote(parsed.route.name) + " is already used by " + where);
      return (e.value.get("name") !== null ? dup.inField("name") : dup).inIndex(i);
    }
    const p = claimKeys(v, parsed, keys);
    if (p !== null) return p.inIndex(i);
    sink.route(parsed.route);
  }
  return null;
}

/** A route, and the strings of the document its name and keys came from. */
class ParsedRoute {
  constructor(public readonly route: Route, public readonly name: JsonValue, public readonly keys: JsonValue) {}
}

/** Records the route's keys in `taken`; refuses a key that an earlier route (or key) has. */
function claimKeys(routes: JsonValue, parsed: ParsedRoute, taken: StringSet): Problem | null {
  // By token index: no cursor per key (json/document.ts).
  const doc = routes.doc;
  const keys = parsed.keys.at;
  let index = 0;
  for (let k = keys + 1, end = doc.elementsEnd(keys); k < end; k = doc.end(k), index++) {
    if (!taken.add(k)) {
      const key = new JsonValue(doc, k);
      return problem("key " + quote(key.str, 64) + " is already used by route " + quote(ownerOf(routes, key)))
        .inIndex(index).inField("keys");
    }
  }
  return null;
}

// The two lookups below only run to word an error, so they scan instead of keeping maps.

/** Index of the first route named like `name`. */
function firstNamed(routes: JsonValue, name: JsonValue): i32 {
  const e = routes.elements();
  while (e.next()) {
    const other = nameOf(e.value);
    if (other !== null && name.doc.sameText(other.at, name.at)) return e.index;
  }
  return -1;
}

/** Name of the first route that has `key` among its keys. */
function ownerOf(routes: JsonValue, key: JsonValue): string {
  const e = routes.elements();
  while (e.next()) {
    const route = e.value;
    const keys = route.get("keys");
    if (keys === null) continue;
    const k = keys.elements();
    while (k.next()) {
      if (key.doc.sameText(k.value.at, key.at)) {
        const name = nameOf(route);
        return name !== null ? name.str : "";
      }
    }
  }
  return "";
}

/** A route's "name", or when it has none its first key (the default name). */
function nameOf(route: JsonValue): JsonValue | null {
  const name = route.get("name");
  if (name !== null) return name;
  const keys = route.get("keys");
  return keys !== null && keys.isArray && keys.length > 0 ? new JsonValue(keys.doc, keys.at + 1) : null;
}

function parseRoute(v: JsonValue): Parsed<ParsedRoute> {
  if (!v.isObject) return fail<ParsedRoute>(expected("a route object", v));
  let name: JsonValue | null = null;
  let nameText = "";
  let keysValue: JsonValue | null = null;
  let keys: string[] | null = null;
  const action = new ActionBuilder();
  const f = v.fields();
  while (f.next()) {
    const value = f.value;
    let p: Problem | null = null;
    if (f.is("name")) {
      const text = value.str;
      const bad = value.isString ? checkName(text) : EXPECTED_NAME;
      if (bad !== null) p = expected(bad, value);
      name = value;
      nameText = text;
    } else if (f.is("keys")) {
      const r = parseKeys(value);
      p = r.problem;
      keys = r.value;
      keysValue = value;
    } else {
      const field = actionField(f, ActionField.Destination | ActionField.RequestHeaders | ActionField.ResponseHeaders);
      if (field == ActionField.None) return fail<ParsedRoute>(unknownField(f.name, ROUTE_FIELDS));
      p = action.read(field, value);
    }
    if (p !== null) return fail<ParsedRoute>(p.inField(f.name));
  }
  if (keys === null || keysValue === null) return fail<ParsedRoute>(missingField("keys"));
  if (name === null) {
    // No "name": the first key names the route, if it is a valid name.
    name = new JsonValue(keysValue.doc, keysValue.at + 1);
    nameText = keys[0];
    if (checkName(nameText) !== null) {
      return fail<ParsedRoute>(problem('expected "name": the first key ' + quote(nameText, 64) + " is not " + EXPECTED_NAME + ", so it cannot name the route"));
    }
  }
  if (!action.hasDestination && !action.hasHeaders) {
    return fail<ParsedRoute>(problem('expected "destination" or "requestHeaders" (a route must do something)'));
  }
  return ok(new ParsedRoute(action.route(nameText, keys), name, keysValue));
}

/** Null when `s` is a valid route name, else what was expected. */
function checkName(s: string): string | null {
  const n = s.length;
  if (n < 1 || n > MAX_NAME_CHARS) return EXPECTED_NAME;
  if (!isWord(s)) return EXPECTED_NAME;
  if (s == "default" || s == "none" || s == "unknownKey") {
    return 'a name other than "default", "none" and "unknownKey" (they name the fallback decisions)';
  }
  return null;
}

/** `keys`: a non-empty array of routing keys. */
function parseKeys(v: JsonValue): Parsed<string[]> {
  if (!v.isArray || v.length == 0) return fail<string[]>(expected("a non-empty array of routing keys", v));
  const keys = new Array<string>();
  const e = v.elements();
  while (e.next()) {
    const item = e.value;
    const key = item.str;
    const bad = checkKey(item, key);
    if (bad !== null) return fail<string[]>(expected(bad, item).inIndex(e.index));
    keys.push(key);
  }
  return ok(keys);
}

/**
 * Null when `v` is a valid routing key (non-empty string, ≤ 4096 bytes, no CR, LF or NUL), else
 * what was expected. `text` is `v.str`, decoded once by the caller.
 */
export function checkKey(v: JsonValue, text: string): string | null {
  if (!v.isString || text.length == 0) return "a non-empty string";
  if (hasLineBreakOrNul(text)) return "a key without CR, LF or NUL";
  if (v.byteLength > <u32>MAX_KEY_BYTES) return "a key of at most " + MAX_KEY_BYTES.toString() + " bytes";
  return null;
}
