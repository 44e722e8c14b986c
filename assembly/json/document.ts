// A parsed JSON document: a tape of tokens in raw memory that points into the source bytes.
//
// Why not a tree of objects: one GC object per value (plus arrays and UTF-16 strings) cost about
// 1 KB per route of a configuration — hundreds of MB for 100k routes, and WebAssembly memory never
// shrinks. A token costs 8 bytes and nothing to the GC, and strings are only decoded when read.
//
// One token per value and per field name, in document order (an object's tokens are name, value,
// name, value…): two u32 words, 8 bytes; the kind and the ESCAPED flag sit in the top bits of `b`.
//
//   kind      a                         b (low 28 bits)
//   String    offset of the UTF-8 text  its length in bytes   (in the source, or in `unescaped`
//                                                               when ESCAPED is set)
//   Number    source offset             source length          (the text as written)
//   Bool      0 or 1                    -
//   Null      -                         -
//   Array     element count             index after its last descendant
//   Object    field count               index after its last descendant
//
//   b:  bit 31 ESCAPED | bits 28-30 kind | bits 0-27 the figure above
//
// 28 bits hold any length or index of a source shorter than MAX_SOURCE_BYTES (256 MiB; every token
// takes at least a byte of source). A container's children start at its index + 1; the next
// sibling of the token at i is `end(i)`. Tokens live in chunks of CHUNK_TOKENS, so the tape never
// moves or copies while it grows:
//
//   chunk  [CHUNK_TOKENS × 8 B]  a | b
//
// The document reads the source bytes: they must outlive it (a Uint8Array source is kept alive
// here). `release()` frees the tape; afterwards every token reads as null.

/** What a token is. */
export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

/** Sources this long or longer are refused (json/parse.ts): lengths and indexes take 28 bits. */
export const MAX_SOURCE_BYTES: i32 = 1 << 28;

const CHUNK_SHIFT = 10;
const CHUNK_TOKENS: i32 = 1 << CHUNK_SHIFT; // 8 KB per chunk
const CHUNK_MASK: i32 = CHUNK_TOKENS - 1;
const CHUNK_SIZE: usize = <usize>CHUNK_TOKENS << 3;
const KIND_SHIFT: u32 = 28;
const VALUE_MASK: u32 = (1 << KIND_SHIFT) - 1;
const ESCAPED: u32 = 0x80000000;

export class JsonDocument {
  /** Tokens written so far. */
  count: i32 = 0;
  /** Raw block of chunk pointers. */
  private chunks: usize = 0;
  private chunkCount: i32 = 0;
  private chunkSlots: i32 = 0;
  /** Decoded UTF-8 of the strings that had escapes (raw, grows by doubling; rarely used). */
  private unescaped: usize = 0;
  private unescapedLength: u32 = 0;
  private unescapedCapacity: u32 = 0;

  constructor(
    public readonly source: usize,
    public readonly sourceLength: i32,
    /** Keeps a GC-managed source alive as long as the document. */
    private readonly keep: Uint8Array | null = null,
  ) {}

  // ---- reading --------------------------------------------------------------------------------

  /** The token's kind; Null for an index outside the tape. */
  kind(i: i32): JsonKind {
    return <u32>i < <u32>this.count ? <JsonKind>((load<u32>(this.words(i), 4) >>> KIND_SHIFT) & 7) : JsonKind.Null;
  }

  /** Field `a` of the token (see the table above); 0 outside the tape. */
  a(i: i32): u32 {
    return <u32>i < <u32>this.count ? load<u32>(this.words(i)) : 0;
  }

  /** Field `b` of the token; 0 outside the tape. */
  b(i: i32): u32 {
    return <u32>i < <u32>this.count ? load<u32>(this.words(i), 4) & VALUE_MASK : 0;
  }

  /** The index of the token after `i` and everything inside it. */
  end(i: i32): i32 {
    if (<u32>i >= <u32>this.count) return i + 1;
    const b = load<u32>(this.words(i), 4);
    const k = (b >>> KIND_SHIFT) & 7;
    return k == JsonKind.Array || k == JsonKind.Object ? <i32>(b & VALUE_MASK) : i + 1;
  }

  /** Where a String token's UTF-8 text is (length: `b(i)`), or a Number token's source text. */
  textPtr(i: i32): usize {
    if (<u32>i >= <u32>this.count) return this.source;
    const w = this.words(i);
    const base = load<u32>(w, 4) & ESCAPED ? this.unescaped : this.source;
    return base + <usize>load<u32>(w);
  }

  // Walking without cursors (nothing allocated), children start at i + 1:
  //   for (let k = o + 1, end = doc.fieldsEnd(o); k < end; k = doc.end(k + 1))  name k, value k + 1
  //   for (let e = a + 1, end = doc.elementsEnd(a); e < end; e = doc.end(e))

  /** Where the fields of token `i` end; i + 1 (no fields) when it is not an object. */
  fieldsEnd(i: i32): i32 {
    return this.kind(i) == JsonKind.Object ? <i32>this.b(i) : i + 1;
  }

  /** Where the elements of token `i` end; i + 1 (no elements) when it is not an array. */
  elementsEnd(i: i32): i32 {
    return this.kind(i) == JsonKind.Array ? <i32>this.b(i) : i + 1;
  }

  /** Array or object: the number of elements or fields; 0 for other kinds. */
  length(i: i32): i32 {
    const k = this.kind(i);
    return k == JsonKind.Array || k == JsonKind.Object ? <i32>this.a(i) : 0;
  }

  /**
   * Bytes of the scalar text in token `i` and everything inside it: strings (field names
   * included) as UTF-8, numbers, `true`, `false` and `null` as written. A size hint.
   */
  textBytes(i: i32): u32 {
    let total: u32 = 0;
    for (let t = i, end = this.end(i); t < end; t++) {
      const k = this.kind(t);
      if (k == JsonKind.String || k == JsonKind.Number) total += this.b(t);
      else if (k == JsonKind.Bool) total += this.a(t) != 0 ? 4 : 5;
      else if (k == JsonKind.Null) total += 4;
    }
    return total;
  }

  /** Whether token `i` is a String whose text is `s` (compared without decoding). */
  textIs(i: i32, s: string): bool {
    if (this.kind(i) != JsonKind.String) return false;
    const ptr = this.textPtr(i);
    const len = this.b(i);
    const n = s.length;
    if (len < <u32>n) return false; // UTF-8 takes at least a byte per UTF-16 unit
    // ASCII (all the field names of the configuration) compares a byte per character.
    for (let c = 0; c < n; c++) {
      const u = <u32>load<u16>(changetype<usize>(s) + (<usize>c << 1));
      if (u >= 0x80) {
        const bytes = String.UTF8.encode(s);
        return <u32>bytes.byteLength == len && memory.compare(changetype<usize>(bytes), ptr, <usize>len) == 0;
      }
      if (<u32>load<u8>(ptr + <usize>c) != u) return false;
    }
    return len == <u32>n;
  }

  /** Whether two String tokens hold the same text (false when either is not a string). */
  sameText(i: i32, j: i32): bool {
    if (this.kind(i) != JsonKind.String || this.kind(j) != JsonKind.String) return false;
    const n = this.b(i);
    return n == this.b(j) && memory.compare(this.textPtr(i), this.textPtr(j), <usize>n) == 0;
  }

  @inline private chunk(i: i32): usize {
    return load<usize>(this.chunks + (<usize>(i >> CHUNK_SHIFT) << alignof<usize>()));
  }

  @inline private words(i: i32): usize {
    return this.chunk(i) + (<usize>(i & CHUNK_MASK) << 3);
  }

  // ---- writing (the parser) -------------------------------------------------------------------

  /** Appends a token; returns its index. */
  push(kind: JsonKind, a: u32, b: u32): i32 {
    const i = this.count;
    if ((i & CHUNK_MASK) == 0) this.addChunk();
    const w = this.words(i);
    store<u32>(w, a);
    store<u32>(w, (<u32>kind << KIND_SHIFT) | b, 4);
    this.count = i + 1;
    return i;
  }

  /** Sets a container's count and end once its children are written. */
  close(i: i32, count: u32, end: i32): void {
    const w = this.words(i);
    store<u32>(w, count);
    store<u32>(w, (load<u32>(w, 4) & ~VALUE_MASK) | <u32>end, 4);
  }

  /** Marks String token `i` as pointing into `unescaped` instead of the source. */
  markEscaped(i: i32): void {
    const w = this.words(i);
    store<u32>(w, load<u32>(w, 4) | ESCAPED, 4);
  }

  /** Reserves `n` bytes at the end of `unescaped`; returns their offset (for `unescapedPtr`). */
  reserveUnescaped(n: u32): u32 {
    const offset = this.unescapedLength;
    const needed = offset + n;
    if (needed > this.unescapedCapacity) {
      const cap = max<u32>(needed, max<u32>(this.unescapedCapacity << 1, 64));
      this.unescaped = this.unescaped == 0 ? heap.alloc(<usize>cap) : heap.realloc(this.unescaped, <usize>cap);
      this.unescapedCapacity = cap;
    }
    this.unescapedLength = needed;
    return offset;
  }

  /** Gives back the unused tail of the last reservation (it ends `used` bytes after `offset`). */
  trimUnescaped(offset: u32, used: u32): void {
    this.unescapedLength = offset + used;
  }

  @inline unescapedPtr(offset: u32): usize {
    return this.unescaped + <usize>offset;
  }

  private addChunk(): void {
    const c = this.chunkCount;
    if (c >= this.chunkSlots) {
      const slots = max(this.chunkSlots << 1, 16);
      const size = <usize>slots << alignof<usize>();
      this.chunks = this.chunks == 0 ? heap.alloc(size) : heap.realloc(this.chunks, size);
      this.chunkSlots = slots;
    }
    store<usize>(this.chunks + (<usize>c << alignof<usize>()), heap.alloc(CHUNK_SIZE));
    this.chunkCount = c + 1;
  }

  /** Frees the tape. Afterwards the document reads as empty (every token as null). */
  release(): void {
    for (let c = 0; c < this.chunkCount; c++) heap.free(load<usize>(this.chunks + (<usize>c << alignof<usize>())));
    if (this.chunks != 0) heap.free(this.chunks);
    if (this.unescaped != 0) heap.free(this.unescaped);
    this.chunks = 0;
    this.chunkCount = 0;
    this.chunkSlots = 0;
    this.count = 0;
    this.unescaped = 0;
    this.unescapedLength = 0;
    this.unescapedCapacity = 0;
  }
}
