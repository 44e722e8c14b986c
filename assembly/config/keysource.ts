// `key`: where the routing key is read from.
//
//   "x-env"                                  one header
//   [{"header": "x-env"}, {"baggage": …}, …]  1–8 sources, tried in order (the first that yields
//                                            a non-empty key wins)
//
// Each source object has exactly one field naming its kind, and optional options:
//   {"header": NAME}        the header's value
//   {"baggage": KEY}        member KEY of W3C `baggage` (KEY an RFC 9110 token)
//   {"tracestate": KEY}     member KEY of W3C `tracestate` (`vendor` or `tenant@system`)
//   {"cookie": NAME}        cookie NAME of the `cookie` header (NAME a token)
//   {"query": NAME}         query parameter NAME of `:path` (any non-empty name, percent-decoded)
//   "lowercase": true       ASCII-lower-case the key;  "trim": true  drop SP/HTAB around it
//   "maxBytes": N           a longer key (1 ≤ N ≤ MAX_KEY_BYTES, the default) is no key
// The parsers are in assembly/filter/keys/, one file per kind.
import { JsonValue } from "../json";
import { KeySource, KeySourceKind } from "./model";
import { Parsed, Problem, ok, fail, expected, unknownField } from "./errors";
import { keyHeaderName, isToken } from "./headers";
import { MAX_KEY_BYTES } from "./routes";

export const MAX_KEY_SOURCES = 8;

/** The fields of a source object: the kinds (in KeySourceKind order), then the options. */
const FIELDS = ["header", "baggage", "tracestate", "cookie", "query", "lowercase", "trim", "maxBytes"];
const KIND_COUNT = 5;
const ONE_KIND = 'one key source kind, like {"header": NAME}';

/** `key` of the native form: a header name, or an array of key source objects. */
export function parseKeySources(v: JsonValue): Parsed<KeySource[]> {
  const what = "a header name or an array of key sources";
  if (v.isString) return single(v, what);
  if (!v.isArray) return fail<KeySource[]>(expected(what, v));
  const n = v.length;
  if (n < 1 || n > MAX_KEY_SOURCES) {
    const p = expected("1 to " + MAX_KEY_SOURCES.toString() + " key sources", v);
    return fail<KeySource[]>(n == 0 ? p : new Problem("", p.text + " of " + n.toString()));
  }
  const sources = new Array<KeySource>();
  const e = v.elements();
  while (e.next()) {
    const r = parseKeySource(e.value);
    if (r.problem !== null) return fail<KeySource[]>(r.problem!.inIndex(e.index));
    sources.push(r.value!);
  }
  return ok(sources);
}

/** `key` of the original form: a header name only. */
export function parseHeaderKey(v: JsonValue): Parsed<KeySource[]> {
  return single(v, "a header name");
}

function single(v: JsonValue, what: string): Parsed<KeySource[]> {
  if (!v.isString) return fail<KeySource[]>(expected(what, v));
  const name = keyHeaderName(v.str);
  if (name.name === null) return fail<KeySource[]>(expected(name.expected, v));
  return ok([new KeySource(KeySourceKind.Header, name.name!)]);
}

/** One `{"<kind>": NAME, options…}` object. */
function parseKeySource(v: JsonValue): Parsed<KeySource> {
  if (!v.isObject) return fail<KeySource>(expected(ONE_KIND, v));
  let kind = -1;
  let name = "";
  let flags: u32 = 0; // lowercase 1 (SOURCE_LOWERCASE), trim 2 (SOURCE_TRIM): field index - 4
  let max: u32 = <u32>MAX_KEY_BYTES;
  const f = v.fields();
  while (f.next()) {
    const k = FIELDS.indexOf(f.name);
    const x = f.value;
    let bad: string | null = null;
    if (k < 0) return fail<KeySource>(unknownField(f.name, FIELDS.join(", ")));
    if (k < KIND_COUNT) {
      if (kind >= 0) return fail<KeySource>(expected(ONE_KIND, v));
      kind = k;
      name = x.str;
      let header = "a header name";
      if (k == 0) {
        const h = keyHeaderName(name);
        name = h.name === null ? "" : h.name!;
        if (x.isString) header = h.expected;
      }
      if (!x.isString || !validName(k, name)) {
        bad = k == 0 ? header : k == 2 ? "a W3C tracestate key" : k == 4 ? "a non-empty name" : "an RFC 9110 token";
      }
    } else if (k < 7) {
      if (!x.isBool) bad = "a boolean";
      else if (x.bool) flags |= <u32>(k - 4);
    } else {
      const n = x.num;
      if (!x.isNumber || n != Math.floor(n) || n < 1 || n > <f64>MAX_KEY_BYTES) bad = "an integer from 1 to 4096";
      else max = <u32>n;
    }
    if (bad !== null) return fail<KeySource>(expected(bad, x).inField(f.name));
  }
  if (kind < 0) return fail<KeySource>(expected(ONE_KIND, v));
  // The header read: a header source's own; the kind's name for baggage, tracestate and cookie.
  return ok(new KeySource(<KeySourceKind>kind, kind == 0 ? name : kind == 4 ? ":path" : FIELDS[kind], kind == 0 ? "" : name, flags, max));
}

/** Whether `s` is a valid name for a source of kind `k` (a header name already checked). */
function validName(k: i32, s: string): bool {
  if (k == 0) return s.length > 0;
  if (k == 4) return s.length > 0;
  if (k == 2) return isTracestateKey(s);
  return isToken(s);
}

/**
 * W3C Trace Context key: simple-key = lcalpha 0*255(lcalpha / DIGIT / "_" / "-" / "*" / "/"), or
 * multi-tenant-key = tenant-id "@" system-id, tenant-id = (lcalpha / DIGIT) 0*240(…),
 * system-id = lcalpha 0*13(…).
 */
export function isTracestateKey(s: string): bool {
  const n = s.length;
  const at = s.indexOf("@");
  const system = n - at - 1;
  if (at < 0 ? n < 1 || n > 256 : at < 1 || at > 241 || system < 1 || system > 14) return false;
  for (let i = 0; i < n; i++) {
    if (i == at) continue;
    const c = s.charCodeAt(i);
    const alpha = <u32>(c - 0x61) < 26;
    const digit = <u32>(c - 0x30) < 10;
    const ok = i == 0 || i == at + 1
      ? alpha || (digit && i == 0 && at > 0)
      : alpha || digit || c == 0x5F || c == 0x2D || c == 0x2A || c == 0x2F;
    if (!ok) return false;
  }
  return true;
}
