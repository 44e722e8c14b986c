// A hash set of the String tokens of one document, compared by text (UTF-8 bytes, so "a" and
// "\u0061" are the same). It lives in raw memory and copies no text: the parser uses it for
// duplicate field names in large objects, the configuration for route names and keys used twice
// (100k of each must not cost 100k GC strings). In a tagged set a string carries a tag, and then
// equals only strings of the same tag: the configuration's keys are unique per host and kind
// (exact or prefix). An untagged set has half the slot size.
//
//   slots [capacity × 4 B]  token + 1 (0 = empty)
//   slots [capacity × 8 B]  token + 1 (0 = empty) | tag       (tagged)
import { JsonDocument, JsonKind } from "./document";
import { hashBytes, scopedHash } from "../bytes";

export class StringSet {
  private slots: usize = 0;
  private mask: u32 = 0;
  private size: i32 = 0;
  /** log2 of the slot size: 2, or 3 when tagged. */
  private readonly shift: u32;

  /** `expected`: how many strings will come (the set grows if more do). */
  constructor(private readonly doc: JsonDocument, expected: i32 = 8, tagged: bool = false) {
    this.shift = tagged ? 3 : 2;
    // At most half full keeps probe chains short.
    let capacity: u32 = 16;
    while (capacity < <u32>expected * 2) capacity <<= 1;
    this.allocate(capacity);
  }

  /**
   * Adds String token `t` with `tag` (0 in an untagged set) unless a string with the same text
   * and tag is there; false when one was. A token that is not a string equals nothing and is not
   * kept.
   */
  add(t: i32, tag: u32 = 0): bool {
    const doc = this.doc;
    if (doc.kind(t) != JsonKind.String) return true;
    let i = this.hash(t, tag) & this.mask;
    while (true) {
      const slot = this.slots + (<usize>i << this.shift);
      const stored = load<u32>(slot);
      if (stored == 0) break;
      if (this.tagAt(slot) == tag && doc.sameText(<i32>stored - 1, t)) return false;
      i = (i + 1) & this.mask;
    }
    if (<u32>(this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      this.insert(t, tag);
    } else {
      this.put(i, t, tag);
    }
    this.size++;
    return true;
  }

  /** Frees the slots; the set must not be used afterwards. */
  release(): void {
    if (this.slots != 0) heap.free(this.slots);
    this.slots = 0;
    this.mask = 0;
  }

  private hash(t: i32, tag: u32): u32 {
    return scopedHash(hashBytes(this.doc.textPtr(t), <usize>this.doc.b(t)), tag);
  }

  private tagAt(slot: usize): u32 {
    return this.shift == 3 ? load<u32>(slot, 4) : 0;
  }

  private put(i: u32, t: i32, tag: u32): void {
    const slot = this.slots + (<usize>i << this.shift);
    store<u32>(slot, <u32>t + 1);
    if (this.shift == 3) store<u32>(slot, tag, 4);
  }

  /** Places a token known to be absent. */
  private insert(t: i32, tag: u32): void {
    let i = this.hash(t, tag) & this.mask;
    while (load<u32>(this.slots + (<usize>i << this.shift)) != 0) i = (i + 1) & this.mask;
    this.put(i, t, tag);
  }

  private allocate(capacity: u32): void {
    const bytes = <usize>capacity << this.shift;
    this.slots = heap.alloc(bytes);
    memory.fill(this.slots, 0, bytes);
    this.mask = capacity - 1;
  }

  private grow(): void {
    const old = this.slots;
    const oldCapacity = this.mask + 1;
    this.allocate(oldCapacity << 1);
    for (let i: u32 = 0; i < oldCapacity; i++) {
      const slot = old + (<usize>i << this.shift);
      const stored = load<u32>(slot);
      if (stored != 0) this.insert(<i32>stored - 1, this.tagAt(slot));
    }
    heap.free(old);
  }
}
