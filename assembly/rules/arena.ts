// A block of raw heap memory (heap.alloc, not a GC object) addressed by offsets.
//
// The rule table is built into one of these so that however many rules there are, the GC sees
// a single small object: the incremental GC never walks the rules, and per-request work stays
// flat as the rule count grows. Offsets (not pointers) because growing may move the block.
//
// Growing copies the block (and briefly needs the old and the new one), so the builder sizes it
// up front and `shrink`s it to what was used at the end.

export class Arena {
  base: usize = 0;
  length: u32 = 0;
  private capacity: u32 = 0;

  constructor(initialCapacity: u32 = 256) {
    this.capacity = initialCapacity < 16 ? 16 : initialCapacity;
    this.base = heap.alloc(<usize>this.capacity);
  }

  /** Reserves `size` zeroed bytes (aligned to 4, for u32 records) and returns their offset. */
  reserve(size: u32): u32 {
    let offset = (this.length + 3) & ~3;
    this.ensure(offset + size);
    memory.fill(this.base + offset, 0, size);
    this.length = offset + size;
    return offset;
  }

  /** Copies a string as UTF-8 and returns its offset; its byte length is `utf8Length(s)`. */
  putString(s: string): u32 {
    let n = <u32>String.UTF8.byteLength(s);
    let offset = this.length;
    this.ensure(offset + n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.base + offset);
    this.length = offset + n;
    return offset;
  }

  /** Reserves `size` bytes (unaligned, not zeroed) for the caller to fill; returns their offset. */
  take(size: u32): u32 {
    let offset = this.length;
    this.ensure(offset + size);
    this.length = offset + size;
    return offset;
  }

  setU32(offset: u32, value: u32): void {
    store<u32>(this.base + offset, value);
  }

  getU32(offset: u32): u32 {
    return load<u32>(this.base + offset);
  }

  /** Gives the capacity beyond `length` back to the heap (the block stays where it is). */
  shrink(): void {
    let size: u32 = this.length < 16 ? 16 : this.length;
    if (size < this.capacity) {
      this.base = heap.realloc(this.base, <usize>size);
      this.capacity = size;
    }
  }

  /** Gives the memory back; the arena must not be used afterwards. */
  release(): void {
    if (this.base != 0) heap.free(this.base);
    this.base = 0;
    this.length = 0;
    this.capacity = 0;
  }

  private ensure(end: u32): void {
    if (end <= this.capacity) return;
    let cap = max<u32>(end, this.capacity << 1);
    this.base = heap.realloc(this.base, <usize>cap);
    this.capacity = cap;
  }
}

export function utf8Length(s: string): u32 {
  return <u32>String.UTF8.byteLength(s);
}
