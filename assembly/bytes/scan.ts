// Pure scanners over raw bytes (a header value the host copied into guest memory): optional
// whitespace, ASCII lower-casing and percent-decoding, in place. They allocate nothing; the key
// source readers (filter/keys/) build on them. Offsets are relative to `ptr`.

/** RFC 9110 OWS: SP or HTAB. */
// @ts-ignore: decorator
@inline export function isOws(c: u32): bool {
  return c == 0x20 || c == 0x09;
}

/** The first offset in [i, end) that is not OWS (end when all are). */
export function skipOws(ptr: usize, i: usize, end: usize): usize {
  while (i < end && isOws(load<u8>(ptr + i))) i++;
  return i;
}

/** The offset just after the last non-OWS byte of [start, end) (start when all are OWS). */
export function trimOwsEnd(ptr: usize, start: usize, end: usize): usize {
  while (end > start && isOws(load<u8>(ptr + end - 1))) end--;
  return end;
}

/** The first offset in [i, end) holding byte `c` (end when none does). */
export function findByte(ptr: usize, i: usize, end: usize, c: u32): usize {
  while (i < end && <u32>load<u8>(ptr + i) != c) i++;
  return i;
}

/** Whether the `len` bytes at `a` equal those at `b`. */
export function bytesEqual(a: usize, b: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

/** A-Z to a-z in place; other bytes (UTF-8 included) unchanged. */
export function lowerInPlace(ptr: usize, len: usize): void {
  for (let i: usize = 0; i < len; i++) {
    let c = load<u8>(ptr + i);
    if (c >= 0x41 && c <= 0x5A) store<u8>(ptr + i, c | 0x20);
  }
}

function hexDigit(c: u32): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>(c - 0x30);
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return <i32>(c - 0x57);
  return -1;
}

/**
 * RFC 3986 percent-decoding of the `len` bytes at `ptr`, in place (the decoded bytes are never
 * more than the encoded ones). The decoded length, or -1 when a `%` is not followed by two hex
 * digits (the bytes are then partly rewritten). `+` stays `+`.
 */
export function percentDecode(ptr: usize, len: usize): isize {
  let w: usize = 0;
  for (let r: usize = 0; r < len; r++) {
    let c = <u32>load<u8>(ptr + r);
    if (c == 0x25) {
      if (r + 2 >= len) return -1;
      let hi = hexDigit(load<u8>(ptr + r + 1));
      let lo = hexDigit(load<u8>(ptr + r + 2));
      if (hi < 0 || lo < 0) return -1;
      c = <u32>((hi << 4) | lo);
      r += 2;
    }
    store<u8>(ptr + w++, <u8>c);
  }
  return <isize>w;
}

/**
 * Where the value of `name OWS "=" OWS value` starts when [k, stop) begins with exactly that
 * name (the `nameLen` bytes at `namePtr`) and its `=`; 0 when it does not (a value never starts
 * at 0: the name is not empty).
 */
export function afterNameEquals(ptr: usize, k: usize, stop: usize, namePtr: usize, nameLen: usize): usize {
  if (stop - k <= nameLen || !bytesEqual(ptr + k, namePtr, nameLen)) return 0;
  let eq = skipOws(ptr, k + nameLen, stop);
  if (eq == stop || load<u8>(ptr + eq) != 0x3D) return 0; // '='
  return skipOws(ptr, eq + 1, stop);
}
