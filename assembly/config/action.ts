// What a route (or the default) does: a destination and header operations.
import { JsonValue } from "../json";
import { Action, HeaderOp, HeaderOpKind } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField } from "./errors";
import { EXPECTED_DESTINATION, parseDestination } from "./destination";
import { checkHeaderValue, opHeaderName } from "./headers";

/**
 * Collects an action's parts while the fields of its object are read in document order, then
 * builds the Action. Each setter returns null, or the problem relative to the field's value.
 */
export class ActionBuilder {
  authority: string | null = null;
  pathPrefix: string | null = null;
  ops: HeaderOp[] = [];
  hasDestination: bool = false;
  hasHeaders: bool = false;

  /** `destination`: a string; see destination.ts. */
  destination(v: JsonValue): Problem | null {
    if (!v.isString) return expected(EXPECTED_DESTINATION, v);
    const d = parseDestination(v.str);
    if (d.authority === null) return expected(d.expected, v);
    this.authority = d.authority;
    this.pathPrefix = d.pathPrefix;
    this.hasDestination = true;
    return null;
  }

  /** `requestHeaders`: `{ "set"?: {NAME: VALUE}, "add"?: {NAME: VALUE}, "remove"?: [NAME] }`. */
  requestHeaders(v: JsonValue): Problem | null {
    const r = parseRequestHeaders(v);
    if (r.problem !== null) return r.problem;
    const ops = r.value!;
    for (let i = 0; i < ops.length; i++) this.ops.push(unchecked(ops[i]));
    this.hasHeaders = true;
    return null;
  }

  build(name: string): Action {
    return new Action(name, this.authority, this.pathPrefix, this.ops);
  }
}

const HEADER_OPS = "set, add, remove";

/** Parses a `requestHeaders` object into operations in the order they apply: sets, adds, removes. */
export function parseRequestHeaders(v: JsonValue): Parsed<HeaderOp[]> {
  if (!v.isObject) return fail<HeaderOp[]>(expected("an object with set, add or remove", v));
  const sets = new Array<HeaderOp>();
  const adds = new Array<HeaderOp>();
  const removes = new Array<HeaderOp>();
  for (let i = 0, n = v.keys.length; i < n; i++) {
    const field = unchecked(v.keys[i]);
    const value = unchecked(v.items[i]);
    let p: Problem | null;
    if (field == "set") p = namedValues(value, HeaderOpKind.Set, sets);
    else if (field == "add") p = namedValues(value, HeaderOpKind.Add, adds);
    else if (field == "remove") p = names(value, removes);
    else return fail<HeaderOp[]>(unknownField(field, HEADER_OPS));
    if (p !== null) return fail<HeaderOp[]>(p.inField(field));
  }
  if (adds.length == 0 && removes.length == 0) return ok(sets);
  return ok(sets.concat(adds).concat(removes));
}

/** `{NAME: VALUE, …}` → ops of `kind`, appended to `out`. */
function namedValues(v: JsonValue, kind: HeaderOpKind, out: HeaderOp[]): Problem | null {
  if (!v.isObject) return expected("an object of header names to values", v);
  for (let i = 0, n = v.keys.length; i < n; i++) {
    const key = unchecked(v.keys[i]);
    const value = unchecked(v.items[i]);
    const name = opHeaderName(key, kind == HeaderOpKind.Set);
    if (name.name === null) return problem("expected " + name.expected).inField(key);
    const p = headerValue(value);
    if (p !== null) return p.inField(key);
    out.push(new HeaderOp(kind, name.name!, value.str));
  }
  return null;
}

/** `[NAME, …]` → remove ops appended to `out`. */
function names(v: JsonValue, out: HeaderOp[]): Problem | null {
  if (!v.isArray) return expected("an array of header names", v);
  for (let i = 0, n = v.items.length; i < n; i++) {
    const item = unchecked(v.items[i]);
    if (!item.isString) return expected("a header name", item).inIndex(i);
    const name = opHeaderName(item.str, false);
    if (name.name === null) return expected(name.expected, item).inIndex(i);
    out.push(new HeaderOp(HeaderOpKind.Remove, name.name!, ""));
  }
  return null;
}

/** Null when `v` is a valid header value string, else the problem. */
export function headerValue(v: JsonValue): Problem | null {
  if (!v.isString) return expected("a string header value", v);
  const bad = checkHeaderValue(v.str);
  return bad === null ? null : expected(bad, v);
}
