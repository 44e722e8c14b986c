// Key source `{"cookie": NAME}`: the value of cookie NAME in the request's `cookie` header
// (RFC 6265 section 4.2.1: `cookie-pair *( ";" SP cookie-pair )`, cookie-pair = name "=" value).
//
// - Read leniently, as servers do (RFC 6265 section 5.4 is what user agents send; older ones send
//   `a=1;b=2`): pairs split at `;`, OWS around a pair and around its value ignored.
// - Names compare byte for byte (case-sensitive); the first pair named NAME gives the key.
// - A value in DQUOTEs (`"abc"`) gives what is inside them. No other decoding (RFC 6265 has none).
// - Several cookie headers: HTTP/2 and HTTP/3 clients send one `cookie` field per crumb, and
//   Envoy's codec joins them into one `cookie` header with "; " before filters run, so all crumbs
//   are seen. HTTP/1.1 clients must send one Cookie header (RFC 6265 5.4); if several arrive, Envoy's
//   proxy_get_header_map_value answers the first (see baggage.ts).
import { skipOws, trimOwsEnd, findByte, afterNameEquals } from "../../bytes/scan";
import { NO_SPAN, span } from "./key";

/** Cookie `name`'s value in the `len` bytes at `ptr`, as a span; NO_SPAN when none. */
export function cookieValue(ptr: usize, len: usize, namePtr: usize, nameLen: usize): i64 {
  let i: usize = 0;
  while (i < len) {
    let stop = findByte(ptr, i, len, 0x3B); // ';'
    let k = skipOws(ptr, i, stop);
    i = stop + 1;
    let v = afterNameEquals(ptr, k, stop, namePtr, nameLen);
    if (v == 0) continue;
    let e = trimOwsEnd(ptr, v, stop);
    if (e - v >= 2 && load<u8>(ptr + v) == 0x22 && load<u8>(ptr + e - 1) == 0x22) { v++; e--; }
    return e == v ? NO_SPAN : span(v, e - v);
  }
  return NO_SPAN;
}
