// Key source `{"tracestate": KEY}`: the value of list-member KEY of the W3C `tracestate` header
// (W3C Trace Context, https://www.w3.org/TR/trace-context/#tracestate-header):
//
//   list        = list-member 0*31( OWS "," OWS list-member )
//   list-member = (key "=" value) / OWS
//   value       = 0*255(chr) nblk-chr   ; chr = %x20 / nblk-chr, nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
//
// No whitespace around `=`, no decoding. Keys compare byte for byte (the configuration checked
// KEY against the key grammar, `vendor` or `tenant@system`). A member that breaks the grammar is
// skipped; the first valid member named KEY gives the key. At most 32 list-members are read.
// Several `tracestate` headers: only the first is visible (see baggage.ts).
import { skipOws, trimOwsEnd, findByte, bytesEqual } from "../../bytes/scan";
import { NO_SPAN, span } from "./key";

export const TRACESTATE_MAX_MEMBERS = 32;
const MAX_VALUE: usize = 256;

/** Member `name`'s value in the `len` bytes at `ptr`, as a span; NO_SPAN when none. */
export function tracestateMember(ptr: usize, len: usize, namePtr: usize, nameLen: usize): i64 {
  let i: usize = 0;
  for (let members = 0; members < TRACESTATE_MAX_MEMBERS && i < len; members++) {
    let stop = findByte(ptr, i, len, 0x2C); // ','
    let k = skipOws(ptr, i, stop);
    let e = trimOwsEnd(ptr, k, stop);
    i = stop + 1;
    let v = k + nameLen + 1;
    if (v >= e + 1 || !bytesEqual(ptr + k, namePtr, nameLen) || load<u8>(ptr + v - 1) != 0x3D) continue;
    if (e - v > MAX_VALUE || e == v) continue;
    let good = true;
    for (let j = v; j < e; j++) {
      let c = load<u8>(ptr + j);
      if (c < 0x20 || c > 0x7E || c == 0x2C || c == 0x3D) good = false;
    }
    if (good) return span(v, e - v);
  }
  return NO_SPAN;
}
