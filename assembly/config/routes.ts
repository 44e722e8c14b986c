// A `routes` array: the part of the configuration that a rules document fetched from a server
// will reuse (`parseRoutes(doc.routes, sink)`, then `problem.inField("routes")`).
//
//   { "name": "dev", "keys": ["dev", "development"], "destination": "dev.svc:8080",
//     "requestHeaders": { "set": {…}, "add": {…}, "remove": […] } }
//   { "hosts": ["svc-a", "svc-a.ns.svc.cluster.local:8080"], "prefixes": ["pr-"], … }
//
// Names are unique and not `default`/`none`; a route without "name" is named after its first key
// or prefix (which must then be a valid name). A key (or prefix) belongs to one route per host it
// is scoped to, or to one route of those for every host; rules/match.ts says which one wins.
import { isWord, asciiLower } from "../bytes";
import { MAX_PREFIX_LENGTHS } from "../rules/match";
import { checkAuthority } from "./destination";
import { JsonDocument, JsonValue, StringSet, indexPath, quote } from "../json";
import { Route } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { ActionBuilder, ActionField, actionField } from "./action";
import { ConfigSink } from "./sink";
import { MAX_ROUTE_HOSTS, MAX_KEY_SLOTS } from "./sizes";
import { hasLineBreakOrNul } from "./headers";
import { collectBetween, heldMark, hold, letGoTo } from "../gc";

export const MAX_ROUTES = 100000;
export const MAX_NAME_CHARS = 64;
export const MAX_KEY_BYTES = 4096;

/**
 * Routes parsed between two collections (gc.ts): the garbage of this many (≈2 KB each) is what
 * the compile's peak holds beyond the table and the document; a collection costs about as much
 * as parsing a few routes, whatever the rule count.
 */
export const ROUTES_PER_COLLECT = 256;

const ROUTE_FIELDS = "name, keys, prefixes, hosts, destination, requestHeaders, responseHeaders";

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
  const claims = new Claims(v.doc, n);
  const mark = heldMark();
  hold(v);
  hold(claims);
  hold(listPath);
  const p = parseEach(v, sink, claims, listPath);
  letGoTo(mark);
  claims.names.release();
  claims.keys.release();
  return p;
}

/** What the routes so far have taken: names, (key, host, kind) triples, prefix lengths. */
class Claims {
  names: StringSet;
  /** Keys and prefixes, tagged host id << 1 | 1 for a prefix (host id 0: every host). */
  keys: StringSet;
  /** Lower-cased hosts → id (1, 2, …). */
  hosts: Map<string, u32> = new Map<string, u32>();
  prefixLengths: u32[] = [];
  slots: i32 = 0;

  constructor(doc: JsonDocument, n: i32) {
    this.names = new StringSet(doc, n);
    this.keys = new StringSet(doc, n, true); // grows if routes have several keys
  }

  hostId(host: string): u32 {
    const hosts = this.hosts;
    if (hosts.has(host)) return hosts.get(host);
    const id = <u32>hosts.size + 1;
    hosts.set(host, id);
    return id;
  }
}

function parseEach(v: JsonValue, sink: ConfigSink, claims: Claims, listPath: string): Problem | null {
  const e = hold(v.elements()); // let go by parseRoutes
  while (e.next()) {
    const i = e.index;
    if (i > 0 && i % ROUTES_PER_COLLECT == 0) collectBetween(); // the routes before are in `sink`
    const r = parseRoute(e.value);
    if (r.problem !== null) return r.problem!.inIndex(i);
    const parsed = r.value!;
    if (!claims.names.add(parsed.name.at)) {
      const where = indexPath(listPath, firstNamed(v, parsed.name));
      const dup = problem("name " + quote(parsed.route.name) + " is already used by " + where);
      return (e.value.get("name") !== null ? dup.inField("name") : dup).inIndex(i);
    }
    const p = claimKeys(v, parsed, claims);
    if (p !== null) return p.inIndex(i);
    sink.route(parsed.route);
  }
  return null;
}

/** A route, and the strings of the document its name, keys and prefixes came from. */
class ParsedRoute {
  constructor(public readonly route: Route, public readonly name: JsonValue,
    public readonly keys: JsonValue | null, public readonly prefixes: JsonValue | null) {}
}

/** Records the route's keys and prefixes per host in `claims`; refuses one an earlier route has. */
function claimKeys(routes: JsonValue, parsed: ParsedRoute, claims: Claims): Problem | null {
  const hosts = parsed.route.hosts;
  const scopes = hosts.length > 0 ? hosts.length : 1;
  const count = (parsed.route.keys.length + parsed.route.prefixes.length) * scopes;
  if (count > MAX_KEY_SLOTS - claims.slots) {
    return problem("expected at most " + MAX_KEY_SLOTS.toString() + " (key, host) pairs in all routes");
  }
  claims.slots += count;
  for (let h = 0; h < scopes; h++) {
    const host = hosts.length > 0 ? unchecked(hosts[h]) : null;
    const tag = host !== null ? claims.hostId(host) << 1 : 0;
    let p = claimList(routes, parsed.keys, tag, host, claims, "keys");
    if (p === null) p = claimList(routes, parsed.prefixes, tag | 1, host, claims, "prefixes");
    if (p !== null) return p;
  }
  return null;
}

function claimList(routes: JsonValue, list: JsonValue | null, tag: u32, host: string | null, claims: Claims, field: string): Problem | null {
  if (list === null) return null;
  // By token index: no cursor per key (json/document.ts).
  const doc = routes.doc;
  const prefix = (tag & 1) != 0;
  let index = 0;
  for (let k = list.at + 1, end = doc.elementsEnd(list.at); k < end; k = doc.end(k), index++) {
    if (prefix) {
      // Each distinct length is one more probe per request (rules/match.ts): they are bounded.
      const len = doc.b(k);
      const lengths = claims.prefixLengths;
      if (!lengths.includes(len)) {
        if (lengths.length >= MAX_PREFIX_LENGTHS) {
          return problem("expected at most " + MAX_PREFIX_LENGTHS.toString() + " distinct prefix lengths (bytes) in all routes")
            .inIndex(index).inField(field);
        }
        lengths.push(len);
      }
    }
    if (!claims.keys.add(k, tag)) {
      const key = new JsonValue(doc, k);
      const what = (prefix ? "prefix " : "key ") + quote(key.str, 64) + (host !== null ? " for host " + quote(host) : "");
      return problem(what + " is already used by route " + quote(ownerOf(routes, key, field, host)))
        .inIndex(index).inField(field);
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

/** Name of the first route that has `key` in its `field` (keys or prefixes) for `host`. */
function ownerOf(routes: JsonValue, key: JsonValue, field: string, host: string | null): string {
  const e = routes.elements();
  while (e.next()) {
    const route = e.value;
    const keys = route.get(field);
    if (keys === null || !listsHost(route, host)) continue;
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

/** Whether `route` lists `host` (null: lists no hosts). */
function listsHost(route: JsonValue, host: string | null): bool {
  const hosts = route.get("hosts");
  if (hosts === null || !hosts.isArray || hosts.length == 0) return host === null;
  if (host === null) return false;
  const h = hosts.elements();
  while (h.next()) if (asciiLower(h.value.str) == host) return true;
  return false;
}

/** A route's "name", or when it has none its first key or prefix (the default name). */
function nameOf(route: JsonValue): JsonValue | null {
  const name = route.get("name");
  if (name !== null) return name;
  let keys = route.get("keys");
  if (keys === null || !keys.isArray || keys.length == 0) keys = route.get("prefixes");
  return keys !== null && keys.isArray && keys.length > 0 ? new JsonValue(keys.doc, keys.at + 1) : null;
}

function parseRoute(v: JsonValue): Parsed<ParsedRoute> {
  if (!v.isObject) return fail<ParsedRoute>(expected("a route object", v));
  let name: JsonValue | null = null;
  let nameText = "";
  let keysValue: JsonValue | null = null;
  let keys: string[] = [];
  let prefixesValue: JsonValue | null = null;
  let prefixes: string[] = [];
  let hosts: string[] = [];
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
    } else if (f.is("keys") || f.is("prefixes")) {
      const isKeys = f.is("keys");
      const r = parseKeys(value, isKeys ? "routing keys" : "key prefixes");
      p = r.problem;
      if (p === null) {
        if (isKeys) {
          keys = r.value!;
          keysValue = value;
        } else {
          prefixes = r.value!;
          prefixesValue = value;
        }
      }
    } else if (f.is("hosts")) {
      const r = parseHosts(value);
      p = r.problem;
      if (p === null) hosts = r.value!;
    } else {
      const field = actionField(f, ActionField.Destination | ActionField.RequestHeaders | ActionField.ResponseHeaders);
      if (field == ActionField.None) return fail<ParsedRoute>(unknownField(f.name, ROUTE_FIELDS));
      p = action.read(field, value);
    }
    if (p !== null) return fail<ParsedRoute>(p.inField(f.name));
  }
  const first = keysValue !== null ? keysValue : prefixesValue;
  if (first === null) return fail<ParsedRoute>(problem('expected "keys" or "prefixes" (what selects the route)'));
  if (name === null) {
    // No "name": the first key (or prefix) names the route, if it is a valid name.
    name = new JsonValue(first.doc, first.at + 1);
    nameText = keys.length > 0 ? keys[0] : prefixes[0];
    if (checkName(nameText) !== null) {
      const what = keys.length > 0 ? "key " : "prefix ";
      return fail<ParsedRoute>(problem('expected "name": the first ' + what + quote(nameText, 64) + " is not " + EXPECTED_NAME + ", so it cannot name the route"));
    }
  }
  if (!action.hasDestination && !action.hasHeaders) {
    return fail<ParsedRoute>(problem('expected "destination" or "requestHeaders" (a route must do something)'));
  }
  const route = new Route(nameText, keys, action.build(nameText), prefixes, hosts);
  return ok(new ParsedRoute(route, name, keysValue, prefixesValue));
}

/**
 * `hosts`: a non-empty array of `host` or `host:port` as the application sends it in
 * `:authority` (matched case-insensitively, so kept lower-cased; see filter/host.ts).
 */
function parseHosts(v: JsonValue): Parsed<string[]> {
  if (!v.isArray || v.length == 0 || v.length > MAX_ROUTE_HOSTS) {
    return fail<string[]>(expected("an array of 1 to " + MAX_ROUTE_HOSTS.toString() + " hosts", v));
  }
  const hosts = new Array<string>();
  const e = v.elements();
  while (e.next()) {
    const item = e.value;
    const host = asciiLower(item.str);
    if (!item.isString || checkAuthority(host) !== null) {
      return fail<string[]>(expected("a host or host:port (no scheme, path or wildcard)", item).inIndex(e.index));
    }
    if (hosts.includes(host)) return fail<string[]>(problem("host " + quote(host) + " is listed twice").inIndex(e.index));
    hosts.push(host);
  }
  return ok(hosts);
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

/** `keys` or `prefixes` (`what` in the error): a non-empty array of routing keys. */
function parseKeys(v: JsonValue, what: string): Parsed<string[]> {
  if (!v.isArray || v.length == 0) return fail<string[]>(expected("a non-empty array of " + what, v));
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
