// Character classes shared by the configuration (route names), JSON field paths (bare names) and
// metric names (rules/metric.ts). They take a UTF-16 code unit or a byte: all are ASCII classes.

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
