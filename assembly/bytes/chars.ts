// Character classes and ASCII case shared by the configuration (route names, header names, hosts),
// JSON field paths (bare names) and metric names (rules/metric.ts). They take a UTF-16 code unit
// or a byte: all are ASCII classes.

/** `[A-Za-z0-9_-]`: what a route name, a bare field name in an error path and a stat name may hold. */
// @ts-ignore: decorator
@inline export function isWordChar(c: i32): bool {
  return ((c | 32) >= 0x61 && (c | 32) <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D;
}

/** Whether every character of `s` is isWordChar (true for ""). */
export function isWord(s: string): bool {
  for (let i = 0, n = s.length; i < n; i++) {
    if (!isWordChar(s.charCodeAt(i))) return false;
  }
  return true;
}

/**
 * ASCII lower-casing: A-Z only (names and hosts are ASCII, and anything else is refused after).
 * Not String#toLowerCase, whose Unicode tables would cost the module 4 KB.
 */
export function asciiLower(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && !isUpper(s.charCodeAt(i))) i++;
  if (i == n) return s;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  memory.copy(changetype<usize>(out), changetype<usize>(s), <usize>n << 1);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isUpper(c)) store<u16>(changetype<usize>(out) + (<usize>i << 1), <u16>(c + 0x20));
  }
  return out;
}

// @ts-ignore: decorator
@inline function isUpper(c: i32): bool {
  return c >= 0x41 && c <= 0x5A;
}
