// `rulesService`: where live rules come from (README, "Live rules"). Read once, at configure
// time, into a RulesService; the fetcher (fetch/) uses it on ticks. Every field is checked here,
// so that nothing the fetcher sends to Envoy can be refused for its shape: proxy_http_call gets
// a cluster name, an authority and an origin-form path that are known to be well formed.
//
// Header values (e.g. a bearer token) are kept only to be sent: no error line and no log line
// ever quotes one (a bad value is named by its header, never shown).
import { JsonValue, quote } from "../json";
import { Problem, expected, problem, unknownField, missingField } from "./errors";
import { checkAuthority } from "./destination";
import { isToken, checkHeaderValue } from "./headers";
import { asciiLower } from "../bytes";

export const enum Initial {
  /** The configuration's routes serve until the first good document. */
  Inline = 0,
  /** Requests pass unchanged until the first good document. */
  Passthrough = 1,
}

export class RulesService {
  cluster: string = "";
  authority: string = "";
  path: string = "";
  refreshMs: u32 = 5000;
  timeoutMs: u32 = 2000;
  maxBytes: u32 = 16777216;
  /** Extra request headers, names lower-cased: [name0, value0, name1, value1, …]. Never logged. */
  headers: string[] = [];
  initial: Initial = Initial.Inline;
  /** 0: plain polling; else the `prefer: wait=N` a long-polling server may hold the request for. */
  longPollSeconds: u32 = 0;
}

/** The fields, in the order `readField` numbers them. */
const FIELDS: string[] = ["cluster", "authority", "path", "refreshMs", "timeoutMs", "maxBytes", "longPollSeconds", "initial", "headers"];
const CLUSTER = 0;
const AUTHORITY = 1;
const PATH = 2;
const FIRST_INT = 3; // refreshMs, timeoutMs, maxBytes, longPollSeconds
const INITIAL = 7;
const HEADERS = 8;
/** Bits of the required fields (cluster, authority, path). */
const REQUIRED: u32 = 7;
/** Per integer field: smallest, largest. */
const INT_RANGES: u32[] = [100, 86400000, 1, 60000, 1, 67108864, 1, 300];

/** `rulesService` into `s`: an object of the fields above; cluster, authority and path are required. */
export function parseRulesService(v: JsonValue, s: RulesService): Problem | null {
  if (!v.isObject) return expected('an object with "cluster", "authority" and "path"', v);
  let seen: u32 = 0;
  const f = v.fields();
  while (f.next()) {
    let field = -1;
    for (let i = 0; i < FIELDS.length; i++) {
      if (f.is(unchecked(FIELDS[i]))) {
        field = i;
        break;
      }
    }
    if (field < 0) return unknownField(f.name, FIELDS.join(", "));
    const p = readField(s, field, f.value);
    if (p !== null) return p.inField(f.name);
    seen |= 1 << <u32>field;
  }
  if ((seen & REQUIRED) != REQUIRED) {
    const missing = (seen & 1) == 0 ? CLUSTER : (seen & 2) == 0 ? AUTHORITY : PATH;
    return missingField(unchecked(FIELDS[missing]));
  }
  return null;
}

function readField(s: RulesService, field: i32, v: JsonValue): Problem | null {
  if (field == CLUSTER) {
    // Envoy cluster names are free text (Istio's hold '|'); only what would break the call is refused.
    if (!v.isString || v.byteLength == 0 || v.byteLength > 1024 || hasControl(v.str)) {
      return expected("an Envoy cluster name (1 to 1024 bytes, no controls)", v);
    }
    s.cluster = v.str;
  } else if (field == AUTHORITY) {
    if (!v.isString || v.str.indexOf("@") >= 0 || checkAuthority(v.str) !== null) {
      return expected("an authority host or host:port", v);
    }
    s.authority = v.str;
  } else if (field == PATH) {
    if (!v.isString || !isOriginForm(v.str)) {
      return expected('an origin-form path ("/…", visible ASCII, at most 4096 bytes)', v);
    }
    s.path = v.str;
  } else if (field == INITIAL) {
    const text = v.str;
    if (v.isString && (text == "inline" || text == "passthrough")) s.initial = text == "inline" ? Initial.Inline : Initial.Passthrough;
    else return expected('"inline" or "passthrough"', v);
  } else if (field == HEADERS) {
    return readHeaders(v, s);
  } else {
    return readInt(v, field - FIRST_INT, s);
  }
  return null;
}

/** Integer field number `which` (0 refreshMs, 1 timeoutMs, 2 maxBytes, 3 longPollSeconds), in its INT_RANGES. */
function readInt(v: JsonValue, which: i32, s: RulesService): Problem | null {
  const min = unchecked(INT_RANGES[which * 2]);
  const max = unchecked(INT_RANGES[which * 2 + 1]);
  const n = v.num;
  if (!v.isNumber || n != Math.floor(n) || n < <f64>min || n > <f64>max) {
    return expected("an integer from " + min.toString() + " to " + max.toString(), v);
  }
  const u = <u32>n;
  if (which == 0) s.refreshMs = u;
  else if (which == 1) s.timeoutMs = u;
  else if (which == 2) s.maxBytes = u;
  else s.longPollSeconds = u;
  return null;
}

/** Headers the fetcher sets itself (or Envoy owns): not to be given. */
function isReservedHeader(lower: string): bool {
  return lower == "host" || lower == "if-none-match" || lower == "prefer" || lower == "content-length" ||
    lower == "transfer-encoding" || lower == "connection";
}

function readHeaders(v: JsonValue, s: RulesService): Problem | null {
  if (!v.isObject) return expected("an object of header names to values", v);
  if (v.length > 32) return problem("expected at most 32 headers, got " + v.length.toString());
  const out = new Array<string>();
  const f = v.fields();
  while (f.next()) {
    const name = f.name;
    const lower = asciiLower(name);
    if (!isToken(name) || isReservedHeader(lower)) {
      return problem("expected a header name (a token; not a pseudo-header, host, if-none-match or prefer), got " + quote(name, 64));
    }
    for (let i = 0; i < out.length; i += 2) {
      if (unchecked(out[i]) == lower) return problem("header " + quote(lower) + " is given twice").inField(name);
    }
    const value = f.value;
    // The value is never quoted: it may be a secret.
    if (!value.isString) return problem("expected a header value (a string)").inField(name);
    const bad = checkHeaderValue(value.str);
    if (bad !== null || hasControl(value.str)) {
      return problem("expected " + (bad !== null ? bad : "a header value without controls") + " (value not shown)").inField(name);
    }
    out.push(lower);
    out.push(value.str);
  }
  s.headers = out;
  return null;
}

/** Whether `s` has a C0 control or DEL. Tab is one too: none of these fields needs it. */
function hasControl(s: string): bool {
  for (let i = 0, n = s.length; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

/** RFC 9112 origin-form: "/" then visible ASCII (no space, no '#'), at most 4096 bytes. */
function isOriginForm(p: string): bool {
  const n = p.length;
  if (n == 0 || n > 4096 || p.charCodeAt(0) != 0x2F) return false;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7F || c == 0x23) return false;
  }
  return true;
}
