// A growable block of raw heap memory (heap.alloc, not a GC object) addressed by offsets.
//
// The rule table is built into one of these so that however many rules there are, the GC sees
// a single small object: the incremental GC never walks the rules, and per-request work stays
// flat as the rule count grows. Offsets (not pointers) because growing may move the block.

export class Arena {
  base: usize = 0;
  length: u32 = 0;
  private capacity: u32 = 0;

  constructor(initialCapacity: u32 = 256) {
    this.capacity = initialCapacity < 16 ? 16 : initialCapacity;
    this.base = heap.alloc(<usize>this.capacity);
  }

  /** Reserves `size` zeroed bytes (aligned to 4) and returns their offset. */
  reserve(size: u32): u32 {
    let offset = (this.length + 3) & ~3;
    let end = offset + size;
    if (end > this.capacity) {
      let cap = this.capacity;
      while (cap < end) cap <<= 1;
      this.base = heap.realloc(this.base, <usize>cap);
      this.capacity = cap;
    }
    memory.fill(this.base + offset, 0, size);
    this.length = end;
    return offset;
  }

  /** Copies a string as UTF-8 and returns its offset; its byte length is `utf8Length(s)`. */
  putString(s: string): u32 {
    let n = <u32>String.UTF8.byteLength(s);
    let offset = this.reserve(n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.base + offset);
    return offset;
  }

  setU32(offset: u32, value: u32): void {
    store<u32>(this.base + offset, value);
  }

  getU32(offset: u32): u32 {
    return load<u32>(this.base + offset);
  }

  /** Gives the memory back; the arena must not be used afterwards. */
  release(): void {
    if (this.base != 0) heap.free(this.base);
    this.base = 0;
    this.length = 0;
    this.capacity = 0;
  }
}

export function utf8Length(s: string): u32 {
  return <u32>String.UTF8.byteLength(s);
}
