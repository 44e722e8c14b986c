// Deterministic byte mutations for the "never aborts" sweeps (xorshift32, so a failure replays).

/** Mostly structural JSON characters, sometimes any byte. */
const POOL = '{}[]":,@\\0a ';

export class Mutator {
  constructor(private seed: u32) {}

  private next(): u32 {
    let s = this.seed;
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    this.seed = s;
    return s;
  }

  /** Overwrites `edits` bytes of `b` at random places. */
  mutate(b: Uint8Array, edits: i32): void {
    for (let e = 0; e < edits; e++) {
      const at = <i32>(this.next() % <u32>b.length);
      const r = this.next();
      b[at] = (r & 3) == 0 ? <u8>(r >> 8) : <u8>POOL.charCodeAt(<i32>((r >> 8) % <u32>POOL.length));
    }
  }
}
