// Header names and values in the configuration: validation and normalisation, once, at
// configuration time. Each check returns null when fine, else "expected …" text for the error line.

import { checkAuthority } from "./destination";
import { asciiLower } from "../bytes";

/** Values and keys may not contain these: they would split or truncate a header. */
const CR = 0x0D;
const LF = 0x0A;
const NUL = 0x00;

/** Header values longer than this (in UTF-8 bytes) are refused. */
export const MAX_HEADER_VALUE_BYTES = 8192;

/** RFC 7230 `tchar`: ALPHA / DIGIT / one of !#$%&'*+-.^_`|~ */
export function isTokenChar(c: i32): bool {
  if ((c | 32) >= 0x61 && (c | 32) <= 0x7A) return true; // letters
  if (c >= 0x30 && c <= 0x39) return true; // digits
  switch (c) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2A: case 0x2B:
    case 0x2D: case 0x2E: case 0x5E: case 0x5F: case 0x60: case 0x7C: case 0x7E:
      return true;
  }
  return false;
}

/** A non-empty RFC 7230 token. */
export function isToken(s: string): bool {
  const n = s.length;
  if (n == 0) return false;
  for (let i = 0; i < n; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Whether `s` holds CR, LF or NUL. */
export function hasLineBreakOrNul(s: string): bool {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == CR || c == LF || c == NUL) return true;
  }
  return false;
}

/** The pseudo-headers a routing key may be read from. */
export function isReadablePseudoHeader(lower: string): bool {
  return lower == ":authority" || lower == ":path" || lower == ":method";
}

/** A name (or null when invalid) plus the error text. */
export class NameResult {
  constructor(public readonly name: string | null, public readonly expected: string) {}
}

const EXPECTED_KEY_HEADER = "a header name (token characters, or :authority, :path or :method)";
const EXPECTED_OP_HEADER = "a header name (token characters; Host or :authority for the authority)";
const EXPECTED_RESPONSE_HEADER = "a header name (token characters)";

/**
 * A request header a routing key is read from: a token, or `:authority`, `:path`, `:method`.
 * Lower-cased; `host` becomes `:authority` (Envoy keeps the HTTP/1 Host header there).
 */
export function keyHeaderName(s: string): NameResult {
  const lower = asciiLower(s);
  if (lower == "host") return new NameResult(":authority", "");
  if (isToken(s) || isReadablePseudoHeader(lower)) return new NameResult(lower, "");
  return new NameResult(null, EXPECTED_KEY_HEADER);
}

/**
 * A request header changed by a header operation. Lower-cased; `host` and `:authority` become
 * `:authority`, which only `set` may change (`authorityAllowed`); other pseudo-headers are refused.
 */
export function opHeaderName(s: string, authorityAllowed: bool): NameResult {
  const lower = asciiLower(s);
  if (lower == "host" || lower == ":authority") {
    if (!authorityAllowed) return new NameResult(null, "a header other than Host/:authority (the authority can only be set)");
    return new NameResult(":authority", "");
  }
  if (s.length > 0 && s.charCodeAt(0) == 0x3A) {
    return new NameResult(null, "a header that is not a pseudo-header (:path, :method, :scheme and :status cannot be changed)");
  }
  if (isToken(s)) return new NameResult(lower, "");
  return new NameResult(null, EXPECTED_OP_HEADER);
}

/** A response header (the decision header): a token, lower-cased. */
export function responseHeaderName(s: string): NameResult {
  if (isToken(s)) return new NameResult(asciiLower(s), "");
  return new NameResult(null, EXPECTED_RESPONSE_HEADER);
}

/**
 * Null when `s` is a valid value for header `name` (lower-cased), else what was expected: an
 * RFC 9110 field-value (no controls but HTAB, no leading or trailing SP/HTAB); for `:authority`
 * a host[:port] as destinations have (destination.ts).
 */
export function checkHeaderValue(s: string, name: string = ""): string | null {
  if (name == ":authority") {
    return checkAuthority(s) === null ? null : "an authority (DNS name or IP, :port)";
  }
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c != 9) || c == 0x7F) return "a header value without CR, LF or other controls";
  }
  if (n > 0 && (isSpace(s.charCodeAt(0)) || isSpace(s.charCodeAt(n - 1)))) {
    return "a header value not starting or ending in space";
  }
  if (String.UTF8.byteLength(s) > MAX_HEADER_VALUE_BYTES) {
    return "a header value of at most " + MAX_HEADER_VALUE_BYTES.toString() + " bytes";
  }
  return null;
}

@inline function isSpace(c: i32): bool {
  return c == 0x20 || c == 9;
}
