// Key source `{"baggage": KEY}`: the value of list-member KEY of the W3C `baggage` header
// (W3C Baggage, https://www.w3.org/TR/baggage/):
//
//   baggage-string = list-member 0*179( OWS "," OWS list-member )
//   list-member    = key OWS "=" OWS value *( OWS ";" OWS property )
//   value          = *baggage-octet   ; %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
//
// - Keys compare byte for byte (case-sensitive): `xrouting-key` and `routing-keyx` are other keys.
// - Properties (after `;`) are ignored; empty list members (`a=1,,b=2`) are skipped.
// - A list-member that breaks the grammar (`k=a b`, `k="x"`, no `=`) is skipped: it holds no key,
//   the following members are still read.
// - The first member named KEY decides: its value percent-decoded (in place, in the host's copy).
//   An empty value or an invalid percent-encoding (`%zz`, `%4`) gives no key from this source.
//   Decoded bytes that are not UTF-8 are kept as they are (no configured key can equal them).
// - Limits: the spec's 64 list-members and 8192 bytes, which every platform must propagate.
//   Members beyond them, and a member that crosses byte 8192, are not read (never an error).
// - Several `baggage` headers: Envoy's proxy_get_header_map_value answers the FIRST value only
//   (context.cc getHeaderMapValue takes entry[0]), so a member in a second `baggage` header is
//   not seen. routekey does not read the whole map (proxy_get_header_map_pairs) per request for it.
import { skipOws, findByte, afterNameEquals, percentDecode } from "../../bytes/scan";
import { NO_SPAN, span } from "./key";

export const BAGGAGE_MAX_MEMBERS = 64;
export const BAGGAGE_MAX_BYTES: usize = 8192;

// @ts-ignore: decorator
@inline function isBaggageOctet(c: u32): bool {
  return c >= 0x21 && c <= 0x7E && c != 0x22 && c != 0x2C && c != 0x3B && c != 0x5C;
}

/** Member `name`'s decoded value in the `len` bytes at `ptr`, as a span; NO_SPAN when none. */
export function baggageMember(ptr: usize, len: usize, namePtr: usize, nameLen: usize): i64 {
  let end = len < BAGGAGE_MAX_BYTES ? len : BAGGAGE_MAX_BYTES;
  let i: usize = 0;
  for (let members = 0; members < BAGGAGE_MAX_MEMBERS && i < end; members++) {
    let stop = findByte(ptr, i, end, 0x2C); // ','
    // A member cut by the byte limit is not read (one ending right at it is).
    if (stop == end && end < len && load<u8>(ptr + end) != 0x2C) break;
    let k = skipOws(ptr, i, stop);
    i = stop + 1;
    if (k == stop) continue; // an empty list member (counted like one)
    // key OWS "=" OWS value
    let v = afterNameEquals(ptr, k, stop, namePtr, nameLen);
    if (v == 0) continue;
    let ve = v;
    while (ve < stop && isBaggageOctet(load<u8>(ptr + ve))) ve++;
    let rest = skipOws(ptr, ve, stop);
    if (rest < stop && load<u8>(ptr + rest) != 0x3B) continue; // ';' or the member's end
    if (ve == v) return NO_SPAN;
    let n = percentDecode(ptr + v, ve - v);
    return n <= 0 ? NO_SPAN : span(v, <usize>n);
  }
  return NO_SPAN;
}
