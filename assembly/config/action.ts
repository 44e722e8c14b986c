// What a route (or the default) does: a destination and header operations. Every object that
// holds an action reads its action fields here, whichever form it comes from: a native route or
// default (`destination`, `requestHeaders`), an original-form rewrite entry (`destination`,
// `patch`). A route is made here too (ActionBuilder.route), so both forms build routes alike.
import { JsonItems, JsonValue } from "../json";
import { Action, HeaderOp, HeaderOpKind, Route } from "./model";
import { Parsed, Problem, ok, fail, expected, problem, unknownField, missingField } from "./errors";
import { EXPECTED_DESTINATION, parseDestination } from "./destination";
import { NameResult, checkHeaderValue, opHeaderName, responseHeaderName } from "./headers";

/** The action fields, as bits: each object allows some of them. */
export const enum ActionField {
  None = 0,
  /** `destination`: see destination.ts. */
  Destination = 1,
  /** `requestHeaders`: `{ "set"?, "add"?, "remove"? }` (native form). */
  RequestHeaders = 2,
  /** `patch`: `[{"key": NAME, "val": SCALAR}]`, header sets in order (original form). */
  Patch = 4,
  /** `responseHeaders`: like `requestHeaders`, on the response (native form). */
  ResponseHeaders = 8,
  /** `reply`: `{"status": 200–599, "body"?: TEXT}`, a local reply (`unknownKey` only). */
  Reply = 16,
}

/** A local reply's body template: at most this many UTF-8 bytes. */
export const MAX_REPLY_BODY_BYTES = 1024;
/** What stands for the key in a reply body, and the most bytes its escaped form takes there. */
export const REPLY_KEY = "{key}";
export const REPLY_KEY_BYTES: u32 = 128;

/** The action field the cursor is on, when it is one of `allowed`; else ActionField.None. */
export function actionField(f: JsonItems, allowed: u32): ActionField {
  if ((allowed & ActionField.Destination) != 0 && f.is("destination")) return ActionField.Destination;
  if ((allowed & ActionField.RequestHeaders) != 0 && f.is("requestHeaders")) return ActionField.RequestHeaders;
  if ((allowed & ActionField.Patch) != 0 && f.is("patch")) return ActionField.Patch;
  if ((allowed & ActionField.ResponseHeaders) != 0 && f.is("responseHeaders")) return ActionField.ResponseHeaders;
  if ((allowed & ActionField.Reply) != 0 && f.is("reply")) return ActionField.Reply;
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
  responseOps: HeaderOp[] = [];
  replyStatus: i32 = 0;
  replyBody: string = "";

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

  /** `reply`: `{"status": 200–599, "body"?: "text, {key} for the key"}`. */
  reply(v: JsonValue): Problem | null {
    if (!v.isObject) return expected('an object with "status" and "body"', v);
    const f = v.fields();
    while (f.next()) {
      const fv = f.value;
      if (f.is("status")) {
        const n = fv.num;
        if (!fv.isNumber || n != Math.floor(n) || n < 200 || n > 599) {
          return expected("an HTTP status from 200 to 599", fv).inField("status");
        }
        this.replyStatus = <i32>n;
      } else if (f.is("body")) {
        if (!fv.isString || fv.byteLength > <u32>MAX_REPLY_BODY_BYTES) {
          return expected("a string of at most " + MAX_REPLY_BODY_BYTES.toString() + " bytes", fv).inField("body");
        }
        this.replyBody = fv.str;
      } else {
        return unknownField(f.name, "status, body");
      }
    }
    return this.replyStatus == 0 ? missingField("status") : null;
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
    if (field == ActionField.ResponseHeaders) {
      const r = parseRequestHeaders(v, true);
      if (r.problem === null) this.responseOps = r.value!;
      return r.problem;
    }
    if (field == ActionField.Reply) return this.reply(v);
    return this.patch(v);
  }

  build(name: string): Action {
    return new Action(name, this.authority, this.pathPrefix, this.ops, this.responseOps, this.replyStatus, this.replyBody);
  }

  /** The route named `name`, selected by `keys`, doing this action. */
  route(name: string, keys: string[]): Route {
    return new Route(name, keys, this.build(name));
  }
}

const HEADER_OPS = "set, add, remove";

/**
 * Parses a `requestHeaders` (or, `response`, a `responseHeaders`) object into operations in the
 * order they apply: sets, adds, removes.
 */
export function parseRequestHeaders(v: JsonValue, response: bool = false): Parsed<HeaderOp[]> {
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
      p = namedValues(value, HeaderOpKind.Set, sets, response);
    } else if (f.is("add")) {
      adds = new Array<HeaderOp>();
      p = namedValues(value, HeaderOpKind.Add, adds, response);
    } else if (f.is("remove")) {
      removes = new Array<HeaderOp>();
      p = names(value, removes, response);
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
function namedValues(v: JsonValue, kind: HeaderOpKind, out: HeaderOp[], response: bool): Problem | null {
  if (!v.isObject) return expected("an object of header names to values", v);
  const f = v.fields();
  while (f.next()) {
    const key = f.name;
    const value = f.value;
    const name = opName(key, kind == HeaderOpKind.Set, response);
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
function names(v: JsonValue, out: HeaderOp[], response: bool): Problem | null {
  if (!v.isArray) return expected("an array of header names", v);
  const e = v.elements();
  while (e.next()) {
    const item = e.value;
    if (!item.isString) return expected("a header name", item).inIndex(e.index);
    const name = opName(item.str, false, response);
    if (name.name === null) return expected(name.expected, item).inIndex(e.index);
    out.push(new HeaderOp(HeaderOpKind.Remove, name.name!, ""));
  }
  return null;
}

/**
 * A header operation's name: a request header (opHeaderName), or a response header — a token,
 * but not one that frames the message (content-length, transfer-encoding: Envoy owns those).
 */
function opName(s: string, authorityAllowed: bool, response: bool): NameResult {
  if (!response) return opHeaderName(s, authorityAllowed);
  const r = responseHeaderName(s);
  const n = r.name;
  if (n !== null && (n == "content-length" || n == "transfer-encoding")) {
    return new NameResult(null, "a header other than content-length and transfer-encoding");
  }
  return r;
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
