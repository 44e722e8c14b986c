// `key`: where the routing key is read from.
//
//   "x-env"                               one header
//   [{"header": "x-env"}, {"header": …}]  1–8 sources, tried in order (first present wins)
//
// Each source object has exactly one field naming its kind. Only `header` exists today; baggage,
// cookie and query sources are one more `case` in `parseKeySource` (and a KeySourceKind).
import { JsonValue } from "../json";
import { KeySource, KeySourceKind } from "./model";
import { Parsed, Problem, ok, fail, expected, unknownField } from "./errors";
import { keyHeaderName } from "./headers";

export const MAX_KEY_SOURCES = 8;

/** The kinds of key source, as listed in error messages. */
const SOURCE_KINDS = "header";

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
  const h = header(v, what);
  if (h.problem !== null) return fail<KeySource[]>(h.problem!);
  return ok([h.value!]);
}

/** One `{"<kind>": …}` object. */
function parseKeySource(v: JsonValue): Parsed<KeySource> {
  const f = v.fields();
  if (v.length != 1 || !f.next()) {
    return fail<KeySource>(expected('a key source object with one field, like {"header": NAME}', v));
  }
  if (f.is("header")) {
    const r = header(f.value, "a header name");
    return r.problem === null ? r : fail<KeySource>(r.problem!.inField("header"));
  }
  return fail<KeySource>(unknownField(f.name, SOURCE_KINDS));
}

function header(v: JsonValue, what: string): Parsed<KeySource> {
  if (!v.isString) return fail<KeySource>(expected(what, v));
  const name = keyHeaderName(v.str);
  if (name.name === null) return fail<KeySource>(expected(name.expected, v));
  return ok(new KeySource(KeySourceKind.Header, name.name!));
}
