// Destinations: `host`, `host:port`, `http(s)://host[:port][/path]`.
//
//   "http://pr-42.svc:8080/api/"  →  authority "pr-42.svc:8080", pathPrefix "/api"
//   "[::1]:9000"                  →  authority "[::1]:9000",     pathPrefix null
//
// host is a DNS name (labels of letters, digits and '-', not starting or ending with '-'; no '_',
// which Kubernetes and Consul names do not use), an IPv4 address or a bracketed IPv6 address;
// port is 1–65535. The scheme is dropped. Query strings, fragments, user-info, empty hosts and
// paths without a scheme are refused, and so are prefixes an upstream could resolve elsewhere:
// "//", "." and ".." segments, %2e, %2f and %5c (any case). Nothing here aborts.

import { asciiLower } from "../bytes";

export const EXPECTED_DESTINATION = "host, host:port or http(s)://host[:port][/path]";

/** Either (authority, pathPrefix) or `expected` text for the error line. */
export class Destination {
  constructor(
    /** host[:port] as written; null when the destination is invalid. */
    public readonly authority: string | null,
    /** "/prefix" without a trailing slash, or null for no path or "/". */
    public readonly pathPrefix: string | null,
    /** What was expected, when `authority` is null. */
    public readonly expected: string,
  ) {}

  static fail(expected: string): Destination {
    return new Destination(null, null, expected);
  }
}

export function parseDestination(s: string): Destination {
  let rest = s;
  let hasScheme = false;
  const sep = s.indexOf("://");
  if (sep >= 0) {
    const scheme = asciiLower(s.substring(0, sep));
    if (scheme != "http" && scheme != "https") return Destination.fail(EXPECTED_DESTINATION);
    rest = s.substring(sep + 3);
    hasScheme = true;
  }
  if (rest.indexOf("?") >= 0 || rest.indexOf("#") >= 0) {
    return Destination.fail("a destination without query string or fragment");
  }
  let slash = rest.indexOf("/");
  if (slash < 0) slash = rest.length;
  const authority = rest.substring(0, slash);
  const path = rest.substring(slash);
  if (path.length > 0 && !hasScheme) return Destination.fail(EXPECTED_DESTINATION);
  if (authority.indexOf("@") >= 0) return Destination.fail("a destination without user-info (user@)");

  const bad = checkAuthority(authority);
  if (bad !== null) return Destination.fail(bad);

  // Path: valid characters, then drop trailing slashes ("/" and "/api/" → null and "/api").
  const BAD_PATH = "a path of URL characters (%XX for others), no //, ., .., %2e, %2f, %5c";
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) == 0x2F) end--;
  let seg = 1;
  for (let i = 0, n = end; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : 0x2F;
    if (c == 0x2F) {
      // The segment [seg, i): not empty, ".", "..".
      const k = i - seg;
      if (i > 0 && (k == 0 || (k <= 2 && path.charCodeAt(seg) == 0x2E && path.charCodeAt(i - 1) == 0x2E))) {
        return Destination.fail(BAD_PATH);
      }
      seg = i + 1;
    } else if (c == 0x25) { // %XX, but not %2e, %2f, %5c
      if (i + 2 >= n || !isHex(path.charCodeAt(i + 1)) || !isHex(path.charCodeAt(i + 2))) return Destination.fail(BAD_PATH);
      const x = (path.charCodeAt(i + 1) << 8) | (path.charCodeAt(i + 2) | 32);
      if (x == 0x3265 || x == 0x3266 || x == 0x3563) return Destination.fail(BAD_PATH);
      i += 2;
    } else if (!isPathChar(c)) {
      return Destination.fail(BAD_PATH);
    }
  }
  const prefix: string | null = end == 0 ? null : path.substring(0, end);
  return new Destination(authority, prefix, "");
}

/** Null when `a` is host[:port] with a valid host and port, else what was expected. */
export function checkAuthority(a: string): string | null {
  if (a.length == 0) return "a destination with a host";
  let host: string;
  let port: string | null = null;
  if (a.charCodeAt(0) == 0x5B) { // [IPv6]
    const close = a.indexOf("]");
    if (close < 0 || !isIPv6(a.substring(1, close))) return EXPECTED_DESTINATION;
    host = a.substring(0, close + 1);
    const after = a.substring(close + 1);
    if (after.length > 0) {
      if (after.charCodeAt(0) != 0x3A) return EXPECTED_DESTINATION;
      port = after.substring(1);
    }
  } else {
    const colon = a.indexOf(":");
    if (colon >= 0) {
      if (a.indexOf(":", colon + 1) >= 0) return EXPECTED_DESTINATION; // bare IPv6 or junk
      host = a.substring(0, colon);
      port = a.substring(colon + 1);
    } else {
      host = a;
    }
    if (host.length == 0) return "a destination with a host";
    if (!isIPv4(host) && !isDnsName(host)) return EXPECTED_DESTINATION;
  }
  if (port !== null && !isPort(port)) return "a port from 1 to 65535";
  return null;
}

/** 1–65535, digits only, no leading zero. */
function isPort(p: string): bool {
  const n = p.length;
  if (n == 0 || n > 5 || p.charCodeAt(0) == 0x30) return false;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = p.charCodeAt(i);
    if (!isDigit(c)) return false;
    v = v * 10 + (c - 0x30);
  }
  return v >= 1 && v <= 65535;
}

/**
 * A DNS name: labels of letters, digits and '-' (1–63 chars, no '-' first or last), joined
 * by single dots, at most 253 chars. All-numeric dotted names must be IPv4 addresses (checked first).
 */
function isDnsName(h: string): bool {
  const n = h.length;
  if (n == 0 || n > 253) return false;
  let label = 0;
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const c = h.charCodeAt(i);
    if (c == 0x2E) {
      if (label == 0 || h.charCodeAt(i - 1) == 0x2D) return false;
      label = 0;
      continue;
    }
    if (c == 0x2D ? label == 0 : !isDigit(c) && ((c | 32) < 0x61 || (c | 32) > 0x7A)) return false;
    if (!isDigit(c)) numeric = false;
    if (++label > 63) return false;
  }
  // "1.2.3" or "999.1.1.1" look like broken IPv4 addresses: refuse them.
  return label > 0 && h.charCodeAt(n - 1) != 0x2D && !numeric;
}

/** Dotted-quad IPv4, each part 0–255 without leading zeros. */
function isIPv4(h: string): bool {
  const n = h.length;
  let parts = 0, digits = 0, v = 0;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? h.charCodeAt(i) : 0x2E;
    if (c == 0x2E) {
      if (digits == 0 || v > 255) return false;
      parts++;
      digits = 0;
      v = 0;
    } else if (isDigit(c)) {
      if (digits > 0 && v == 0) return false; // leading zero
      if (++digits > 3) return false;
      v = v * 10 + (c - 0x30);
    } else {
      return false;
    }
  }
  return parts == 4;
}

/** RFC 4291 text form: up to 8 groups of 1–4 hex digits, one "::" at most, optional IPv4 tail. */
function isIPv6(s: string): bool {
  const n = s.length;
  if (n < 2) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (s.startsWith("::")) {
    compressed = true;
    i = 2;
    if (n == 2) return true;
  } else if (s.charCodeAt(0) == 0x3A) {
    return false;
  }
  while (i < n) {
    // One group (or an IPv4 tail) starting at i.
    let j = i;
    while (j < n && isHex(s.charCodeAt(j))) j++;
    if (j < n && s.charCodeAt(j) == 0x2E) {
      if (!isIPv4(s.substring(i))) return false;
      groups += 2;
      i = n;
      break;
    }
    if (j == i || j - i > 4) return false;
    groups++;
    if (j == n) {
      i = n;
      break;
    }
    if (s.charCodeAt(j) != 0x3A) return false;
    if (j + 1 < n && s.charCodeAt(j + 1) == 0x3A) {
      if (compressed) return false;
      compressed = true;
      i = j + 2;
      if (i == n) break;
    } else {
      i = j + 1;
      if (i == n) return false; // trailing single ':'
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

@inline function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: i32): bool {
  return isDigit(c) || ((c | 32) >= 0x61 && (c | 32) <= 0x66);
}

/** RFC 3986 pchar or '/', without '%' (handled by the caller). */
function isPathChar(c: i32): bool {
  if (isDigit(c) || ((c | 32) >= 0x61 && (c | 32) <= 0x7A)) return true;
  switch (c) {
    case 0x2D: case 0x2E: case 0x5F: case 0x7E: // - . _ ~
    case 0x21: case 0x24: case 0x26: case 0x27: case 0x28: case 0x29: // ! $ & ' ( )
    case 0x2A: case 0x2B: case 0x2C: case 0x3B: case 0x3D: // * + , ; =
    case 0x3A: case 0x40: case 0x2F: // : @ /
      return true;
  }
  return false;
}
