// What a route (or the default) does: a destination and header operations. Every object that
// holds an action reads its action fields here, whichever form it comes from: a native route or
// default (`destination`, `requestHeaders`), an original-form rewrite entry (`destination`,
// `patch`). A route is made here too (ActionBuilder.route), so both forms build routes alike.
import { JsonItems, JsonValue } from "../json";
import { Action, HeaderOp, HeaderOpKind, Route } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { EXPECTED_DESTINATION, parseDestination } from "./destination";
import { checkHeaderValue, opHeaderName } from "./headers";

/** The action fields, as bits: each object allows some of them. */
export const enum ActionField {
  None = 0,
  /** `destination`: see destination.ts. */
  Destination = 1,
  /** `requestHeaders`: `{ "set"?, "add"?, "remove"? }` (native form). */
  RequestHeaders = 2,
  /** `patch`: `[{"key": NAME, "val": SCALAR}]`, header sets in order (original form). */
  Patch = 4,
}

/** The action field the cursor is on, when it is one of `allowed`; else ActionField.None. */
export function actionField(f: JsonItems, allowed: u32): ActionField {
  if ((allowed & ActionField.Destination) != 0 && f.is("destination")) return ActionField.Destination;
  if ((allowed & ActionField.RequestHeaders) != 0 && f.is("requestHeaders")) return ActionField.RequestHeaders;
  if ((allowed & ActionField.Patch) != 0 && f.is("patch")) return ActionField.Patch;
  return ActionField.None;
}

/**
 * An object of action fields only (a native default, an original rewrite entry) into `b`:
 * `allowed` fields, listed as `fieldList` in the unknown-field message; `what` names the object
 * when `v` is not one.
 */
export function parseActionObject(v: JsonValue, b: ActionBuilder, allowed: u32, fieldList: string, what: string): Problem | null {
  if (!v.isObject) return expected(what, v);
  const f = v.fields();
  while (f.next()) {
    const field = actionField(f, allowed);
    if (field == ActionField.None) return unknownField(f.name, fieldList);
    const p = b.read(field, f.value);
    if (p !== null) return p.inField(f.name);
  }
  return null;
}

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

  /** `patch`: `[{"key": NAME, "val": SCALAR}]` → set operations, in order. */
  patch(v: JsonValue): Problem | null {
    const p = parsePatch(v, this.ops);
    if (p === null) this.hasHeaders = true;
    return p;
  }

  /** Reads action field `field` (not None) from `v`. */
  read(field: ActionField, v: JsonValue): Problem | null {
    if (field == ActionField.Destination) return this.destination(v);
    if (field == ActionField.RequestHeaders) return this.requestHeaders(v);
    return this.patch(v);
  }

  build(name: string): Action {
    return new Action(name, this.authority, this.pathPrefix, this.ops);
  }

  /** The route named `name`, selected by `keys`, doing this action. */
  route(name: string, keys: string[]): Route {
    return new Route(name, keys, this.build(name));
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
  // A name (case-insensitive; Host is :authority) appears once across set, add and remove.
  for (let i = 1; i < ops.length; i++) {
    for (let j = 0; j < i; j++) {
      if (ops[j].name == ops[i].name) return fail<HeaderOp[]>(problem("expected each header once in set, add, remove: " + ops[i].name + " twice"));
    }
  }
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
    const bad = checkHeaderValue(text, name.name!);
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

const PATCH_FIELDS = "key, val";

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
  let str = true;
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
      str = fv.isString;
      text = t;
    } else {
      return unknownField(f.name, PATCH_FIELDS);
    }
  }
  if (name === null) return missingField("key");
  if (text === null) return missingField("val");
  // An authority is a string (null would be sent as "null").
  const bad = str || name != ":authority" ? checkHeaderValue(text, name) : "a string";
  if (bad !== null) return problem("expected " + bad).inField("val");
  ops.push(new HeaderOp(HeaderOpKind.Set, name, text));
  return null;
}
