// The routing key a request carries, as bytes somewhere in host memory. A key source reader
// (header.ts, baggage.ts, tracestate.ts, cookie.ts, query.ts) finds it; the stream looks it up in the rule
// table, then releases it. One instance serves every request (a request's key only lives within
// its onRequestHeaders), so finding a key allocates nothing.
import { freeHostBytes } from "../../sdk";

export class KeyBytes {
  /** The key's bytes: a whole header value, or (for sources that parse one) a part of it. */
  ptr: usize = 0;
  len: usize = 0;
  /** The host block holding them, freed by `release` (0: nothing to free). */
  private block: usize = 0;

  /** The key is the `len` bytes at `ptr`, inside host block `block`. */
  hold(block: usize, ptr: usize, len: usize): void {
    this.block = block;
    this.ptr = ptr;
    this.len = len;
  }

  release(): void {
    freeHostBytes(this.block);
    this.block = 0;
    this.ptr = 0;
    this.len = 0;
  }
}

/** NO_SPAN, or a part of a value: its offset in the high 32 bits, its length in the low ones. */
export const NO_SPAN: i64 = -1;

// @ts-ignore: decorator
@inline export function span(off: usize, len: usize): i64 {
  return (<i64>off << 32) | <i64>len;
}
