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
import { KeySource, KeySourceKind, SOURCE_LOWERCASE, SOURCE_TRIM } from "./model";
import { Parsed, Problem, ok, fail, expected, unknownField } from "./errors";
import { keyHeaderName, isToken } from "./headers";
import { MAX_KEY_BYTES } from "./routes";

export const MAX_KEY_SOURCES = 8;

/** The fields of a source object, as listed in error messages; the kinds first, in KeySourceKind order. */
const SOURCE_FIELDS = "header, baggage, tracestate, cookie, query, lowercase, trim, maxBytes";
const KINDS = ["header", "baggage", "tracestate", "cookie", "query"];
/** The header each kind reads (the header source's own name comes from the configuration). */
const KIND_HEADERS = ["", "baggage", "tracestate", "cookie", ":path"];

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
  if (!v.isObject) return fail<KeySource>(expected('a key source object, like {"header": NAME}', v));
  let kind = -1;
  let name = "";
  let flags: u32 = 0;
  let max: u32 = <u32>MAX_KEY_BYTES;
  const f = v.fields();
  while (f.next()) {
    const k = KINDS.indexOf(f.name);
    const x = f.value;
    let bad: string | null = null;
    if (k >= 0) {
      if (kind >= 0) return fail<KeySource>(new Problem("", "more than one kind: " + KINDS[kind] + " and " + f.name));
      kind = k;
      if (!x.isString) bad = kindExpected(k);
      else {
        name = x.str;
        if (k == 0) {
          const h = keyHeaderName(name);
          if (h.name === null) bad = h.expected;
          else name = h.name!;
        } else if (!validName(k, name)) bad = kindExpected(k);
      }
    } else if (f.is("lowercase") || f.is("trim")) {
      if (!x.isBool) bad = "true or false";
      else if (x.bool) flags |= f.is("trim") ? SOURCE_TRIM : SOURCE_LOWERCASE;
    } else if (f.is("maxBytes")) {
      const n = x.num;
      if (!x.isNumber || n != Math.floor(n) || n < 1 || n > <f64>MAX_KEY_BYTES) {
        bad = "an integer from 1 to " + MAX_KEY_BYTES.toString();
      } else max = <u32>n;
    } else {
      return fail<KeySource>(unknownField(f.name, SOURCE_FIELDS));
    }
    if (bad !== null) return fail<KeySource>(expected(bad!, x).inField(f.name));
  }
  if (kind < 0) return fail<KeySource>(new Problem("", "missing the kind of key source (one of header, baggage, tracestate, cookie, query)"));
  return ok(new KeySource(<KeySourceKind>kind, kind == 0 ? name : KIND_HEADERS[kind], kind == 0 ? "" : name, flags, max));
}

function kindExpected(k: i32): string {
  if (k == 0) return "a header name";
  if (k == 2) return "a tracestate key (vendor or tenant@system: a-z, 0-9, _-*/)";
  if (k == 4) return "a non-empty parameter name";
  return (k == 1 ? "a baggage key" : "a cookie name") + " (an RFC 9110 token)";
}

function validName(k: i32, s: string): bool {
  if (k == 4) return s.length > 0 && s.length <= 256;
  if (k == 2) return isTracestateKey(s);
  return s.length <= 256 && isToken(s);
}

/** W3C Trace Context key: simple-key, or tenant-id "@" system-id. */
export function isTracestateKey(s: string): bool {
  const at = s.indexOf("@");
  if (at < 0) return keyPart(s, 0, s.length, 256, false);
  return keyPart(s, 0, at, 241, true) && keyPart(s, at + 1, s.length, 14, false);
}

/** lcalpha (or DIGIT when `digitFirst`) then lcalpha / DIGIT / _-*∕, `max` characters at most. */
function keyPart(s: string, from: i32, to: i32, max: i32, digitFirst: bool): bool {
  if (to <= from || to - from > max) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const alpha = c >= 0x61 && c <= 0x7A;
    const digit = c >= 0x30 && c <= 0x39;
    if (i == from ? !(alpha || (digitFirst && digit)) : !(alpha || digit || c == 0x5F || c == 0x2D || c == 0x2A || c == 0x2F)) return false;
  }
  return true;
}
