// A hash set of the String tokens of one document, compared by text (UTF-8 bytes, so "a" and
// "\u0061" are the same). It lives in raw memory and copies no text: the parser uses it for
// duplicate field names in large objects, the configuration for route names and keys used twice
// (100k of each must not cost 100k GC strings).
//
//   slots [capacity × 4 B]  token + 1 (0 = empty)
import { JsonDocument, JsonKind } from "./document";
import { hashBytes } from "../bytes";

export class StringSet {
  private slots: usize = 0;
  private mask: u32 = 0;
  private size: i32 = 0;

  /** `expected`: how many strings will come (the set grows if more do). */
  constructor(private readonly doc: JsonDocument, expected: i32 = 8) {
    // At most half full keeps probe chains short.
    let capacity: u32 = 16;
    while (capacity < <u32>expected * 2) capacity <<= 1;
    this.allocate(capacity);
  }

  /**
   * Adds String token `t` unless a string with the same text is there; false when one was. A token
   * that is not a string equals nothing and is not kept.
   */
  add(t: i32): bool {
    const doc = this.doc;
    if (doc.kind(t) != JsonKind.String) return true;
    let i = this.hash(t) & this.mask;
    while (true) {
      const stored = load<u32>(this.slots + (<usize>i << 2));
      if (stored == 0) break;
      if (doc.sameText(<i32>stored - 1, t)) return false;
      i = (i + 1) & this.mask;
    }
    if (<u32>(this.size + 1) * 2 > this.mask + 1) {
      this.grow();
      this.insert(t);
    } else {
      store<u32>(this.slots + (<usize>i << 2), <u32>t + 1);
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

  private hash(t: i32): u32 {
    return hashBytes(this.doc.textPtr(t), <usize>this.doc.b(t));
  }

  /** Places a token known to be absent. */
  private insert(t: i32): void {
    let i = this.hash(t) & this.mask;
    while (load<u32>(this.slots + (<usize>i << 2)) != 0) i = (i + 1) & this.mask;
    store<u32>(this.slots + (<usize>i << 2), <u32>t + 1);
  }

  private allocate(capacity: u32): void {
    const bytes = <usize>capacity << 2;
    this.slots = heap.alloc(bytes);
    memory.fill(this.slots, 0, bytes);
    this.mask = capacity - 1;
  }

  private grow(): void {
    const old = this.slots;
    const oldCapacity = this.mask + 1;
    this.allocate(oldCapacity << 1);
    for (let i: u32 = 0; i < oldCapacity; i++) {
      const stored = load<u32>(old + (<usize>i << 2));
      if (stored != 0) this.insert(<i32>stored - 1);
    }
    heap.free(old);
  }
}
