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
    if (this.ops.length == 0) this.ops = ops;
    else for (let i = 0; i < ops.length; i++) this.ops.push(unchecked(ops[i]));
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
  // Most routes only set headers: the other lists are made when needed.
  let adds: HeaderOp[] | null = null;
  let removes: HeaderOp[] | null = null;
  const f = v.fields();
  while (f.next()) {
    const value = f.value;
    let p: Problem | null;
    if (f.is("set")) {
      p = namedValues(value, HeaderOpKind.Set, sets);
    } else if (f.is("add")) {
      adds = new Array<HeaderOp>();
      p = namedValues(value, HeaderOpKind.Add, adds);
    } else if (f.is("remove")) {
      removes = new Array<HeaderOp>();
      p = names(value, removes);
    } else {
      return fail<HeaderOp[]>(unknownField(f.name, HEADER_OPS));
    }
    if (p !== null) return fail<HeaderOp[]>(p.inField(f.name));
  }
  let ops = sets;
  if (adds !== null) ops = ops.concat(adds);
  if (removes !== null) ops = ops.concat(removes);
  return ok(ops);
}

/** `{NAME: VALUE, …}` → ops of `kind`, appended to `out`. */
function namedValues(v: JsonValue, kind: HeaderOpKind, out: HeaderOp[]): Problem | null {
  if (!v.isObject) return expected("an object of header names to values", v);
  const f = v.fields();
  while (f.next()) {
    const key = f.name;
    const value = f.value;
    const name = opHeaderName(key, kind == HeaderOpKind.Set);
    if (name.name === null) return problem("expected " + name.expected).inField(key);
    if (!value.isString) return expected("a string header value", value).inField(key);
    const text = value.str;
    const bad = checkHeaderValue(text);
    if (bad !== null) return expected(bad, value).inField(key);
    out.push(new HeaderOp(kind, name.name!, text));
  }
  return null;
}

/** `[NAME, …]` → remove ops appended to `out`. */
function names(v: JsonValue, out: HeaderOp[]): Problem | null {
  if (!v.isArray) return expected("an array of header names", v);
  const e = v.elements();
  while (e.next()) {
    const item = e.value;
    if (!item.isString) return expected("a header name", item).inIndex(e.index);
    const name = opHeaderName(item.str, false);
    if (name.name === null) return expected(name.expected, item).inIndex(e.index);
    out.push(new HeaderOp(HeaderOpKind.Remove, name.name!, ""));
  }
  return null;
}
