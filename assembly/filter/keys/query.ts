// Key source `{"query": NAME}`: the value of query parameter NAME of the request's `:path`
// (RFC 3986: the query is after the first `?` and before `#`; parameters split at `&`, name and
// value at the first `=`).
//
// - Names and values are percent-decoded (in place, in the host's copy) before comparing; `+`
//   stays `+` (RFC 3986 has no `+`-as-space; HTML forms do: a client must send a space as `%20`).
// - The first parameter named NAME decides: an empty value (`?k=`, `?k`) or an invalid
//   percent-encoding gives no key from this source. A parameter whose name is invalidly encoded
//   is skipped.
import { findByte, bytesEqual, percentDecode } from "../../bytes/scan";
import { NO_SPAN, span } from "./key";

/** Parameter `name`'s decoded value in the `:path` of `len` bytes at `ptr`; NO_SPAN when none. */
export function queryParam(ptr: usize, len: usize, namePtr: usize, nameLen: usize): i64 {
  let end = findByte(ptr, 0, len, 0x23); // '#'
  let i = findByte(ptr, 0, end, 0x3F) + 1; // '?'
  while (i < end) {
    let stop = findByte(ptr, i, end, 0x26); // '&'
    let eq = findByte(ptr, i, stop, 0x3D); // '='
    let n = percentDecode(ptr + i, eq - i);
    let v = eq + 1;
    let start = i;
    i = stop + 1;
    if (n != <isize>nameLen || !bytesEqual(ptr + start, namePtr, nameLen)) continue;
    if (v >= stop) return NO_SPAN;
    let m = percentDecode(ptr + v, stop - v);
    return m <= 0 ? NO_SPAN : span(v, <usize>m);
  }
  return NO_SPAN;
}
