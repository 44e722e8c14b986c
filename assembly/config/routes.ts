// A `routes` array: the part of the configuration that a rules document fetched from a server
// will reuse (`parseRoutes(doc.routes)`, then `problem.inField("routes")`).
//
//   { "name": "dev", "keys": ["dev", "development"], "destination": "dev.svc:8080",
//     "requestHeaders": { "set": {…}, "add": {…}, "remove": […] } }
//
// Names are unique and not `default`/`none`; a key belongs to one route only.
import { JsonValue, indexPath, quote } from "../json";
import { Route } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { ActionBuilder } from "./action";
import { hasLineBreakOrNul } from "./headers";

export const MAX_ROUTES = 100000;
export const MAX_NAME_CHARS = 64;
export const MAX_KEY_BYTES = 4096;

const ROUTE_FIELDS = "name, keys, destination, requestHeaders";
const EXPECTED_NAME = "a name of 1 to 64 characters A-Z a-z 0-9 _ -";

/**
 * Parses a routes array, checking that names and keys are unique across it. `listPath` (the
 * array's own path) only names the earlier route in a duplicate-name message.
 */
export function parseRoutes(v: JsonValue, listPath: string = "routes"): Parsed<Route[]> {
  if (!v.isArray) return fail<Route[]>(expected("an array of routes", v));
  const n = v.items.length;
  if (n > MAX_ROUTES) {
    return fail<Route[]>(problem("expected at most " + MAX_ROUTES.toString() + " routes, got " + n.toString()));
  }
  const routes = new Array<Route>();
  const names = new Map<string, i32>(); // name → index
  const owners = new Map<string, string>(); // key → route name
  for (let i = 0; i < n; i++) {
    const r = parseRoute(unchecked(v.items[i]));
    if (r.problem !== null) return fail<Route[]>(r.problem!.inIndex(i));
    const route = r.value!;
    if (names.has(route.name)) {
      const first = indexPath(listPath, names.get(route.name));
      return fail<Route[]>(problem("name " + quote(route.name) + " is already used by " + first).inField("name").inIndex(i));
    }
    names.set(route.name, i);
    const p = claimKeys(route, owners);
    if (p !== null) return fail<Route[]>(p.inIndex(i));
    routes.push(route);
  }
  return ok(routes);
}

/** Records the route's keys in `owners` (key → route name); refuses a key that is taken. */
export function claimKeys(route: Route, owners: Map<string, string>): Problem | null {
  const keys = route.keys;
  for (let k = 0; k < keys.length; k++) {
    const key = unchecked(keys[k]);
    if (owners.has(key)) {
      return problem("key " + quote(key, 64) + " is already used by route " + quote(owners.get(key)))
        .inIndex(k).inField("keys");
    }
    owners.set(key, route.name);
  }
  return null;
}

function parseRoute(v: JsonValue): Parsed<Route> {
  if (!v.isObject) return fail<Route>(expected("a route object", v));
  let name: string | null = null;
  let keys: string[] | null = null;
  const action = new ActionBuilder();
  for (let i = 0, n = v.keys.length; i < n; i++) {
    const field = unchecked(v.keys[i]);
    const value = unchecked(v.items[i]);
    let p: Problem | null = null;
    if (field == "name") {
      const bad = checkName(value);
      if (bad !== null) p = expected(bad, value);
      else name = value.str;
    } else if (field == "keys") {
      const r = parseKeys(value);
      p = r.problem;
      keys = r.value;
    } else if (field == "destination") {
      p = action.destination(value);
    } else if (field == "requestHeaders") {
      p = action.requestHeaders(value);
    } else {
      return fail<Route>(unknownField(field, ROUTE_FIELDS));
    }
    if (p !== null) return fail<Route>(p.inField(field));
  }
  if (name === null) return fail<Route>(missingField("name"));
  if (keys === null) return fail<Route>(missingField("keys"));
  if (!action.hasDestination && !action.hasHeaders) {
    return fail<Route>(problem('expected "destination" or "requestHeaders" (a route must do something)'));
  }
  return ok(new Route(name, keys, action.build(name)));
}

/** Null when `v` is a valid route name, else what was expected. */
function checkName(v: JsonValue): string | null {
  if (!v.isString) return EXPECTED_NAME;
  const s = v.str;
  const n = s.length;
  if (n < 1 || n > MAX_NAME_CHARS) return EXPECTED_NAME;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const ok = ((c | 32) >= 0x61 && (c | 32) <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D;
    if (!ok) return EXPECTED_NAME;
  }
  if (s == "default" || s == "none") return 'a name other than "default" and "none" (they name the fallback decisions)';
  return null;
}

/** `keys`: a non-empty array of routing keys. */
function parseKeys(v: JsonValue): Parsed<string[]> {
  if (!v.isArray || v.items.length == 0) return fail<string[]>(expected("a non-empty array of routing keys", v));
  const keys = new Array<string>();
  for (let i = 0, n = v.items.length; i < n; i++) {
    const item = unchecked(v.items[i]);
    const bad = checkKey(item);
    if (bad !== null) return fail<string[]>(expected(bad, item).inIndex(i));
    keys.push(item.str);
  }
  return ok(keys);
}

/** Null when `v` is a valid routing key (non-empty string, ≤ 4096 bytes, no CR, LF or NUL). */
export function checkKey(v: JsonValue): string | null {
  if (!v.isString || v.str.length == 0) return "a non-empty string";
  if (hasLineBreakOrNul(v.str)) return "a key without CR, LF or NUL";
  if (String.UTF8.byteLength(v.str) > MAX_KEY_BYTES) return "a key of at most " + MAX_KEY_BYTES.toString() + " bytes";
  return null;
}
