// Guest linear memory as the host sees it: bounds-checked reads and writes, allocation through
// the module's `malloc` (or `proxy_on_memory_allocate`), and the serialized pairs format.
//
// Pairs layout (all u32 little-endian):
//
//   +-------+-----------+-----------+-----+-------------------------------------------+
//   | count | klen0 vl0 | klen1 vl1 | ... | key0 \0 value0 \0 key1 \0 value1 \0 ...    |
//   +-------+-----------+-----------+-----+-------------------------------------------+
//
// Envoy reads a malformed buffer, more than 1024 pairs or more than 1 MiB as an EMPTY map.

export const MAX_PAIRS = 1024;
export const MAX_PAIRS_BYTES = 1 << 20;

export type Pairs = Array<[string, string]>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

/** How strings in serialized pairs map to bytes: 'utf8' text, or 'latin1' byte strings (host/lib/headers.ts). */
export type PairsEncoding = 'utf8' | 'latin1';

function encodeString(s: string, encoding: PairsEncoding): Uint8Array {
  return encoding === 'latin1' ? Buffer.from(s, 'latin1') : utf8(s);
}

function decodeString(b: Uint8Array, encoding: PairsEncoding): string {
  return encoding === 'latin1' ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1') : fromUtf8(b);
}

/** Allocates `size` bytes in the guest; returns the pointer, or throws (a trap) from the guest. */
export type Allocator = (size: number) => number;

export class GuestMemory {
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly allocate: Allocator,
  ) {}

  private get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** The linear memory's current size in bytes (it only ever grows). */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  inBounds(ptr: number, size: number): boolean {
    return ptr >= 0 && size >= 0 && ptr + size <= this.buffer.byteLength;
  }

  /** A copy of guest bytes, or undefined when out of bounds. ptr=0,size=0 is the empty value. */
  read(ptr: number, size: number): Uint8Array | undefined {
    ptr >>>= 0;
    size >>>= 0;
    if (!this.inBounds(ptr, size)) return undefined;
    return new Uint8Array(this.buffer, ptr, size).slice();
  }

  /** Guest bytes decoded as UTF-8 (log lines, names, details). */
  readString(ptr: number, size: number): string | undefined {
    const b = this.read(ptr, size);
    return b === undefined ? undefined : fromUtf8(b);
  }

  /** Guest bytes as a byte string, one char per byte (header keys and values). */
  readByteString(ptr: number, size: number): string | undefined {
    const b = this.read(ptr, size);
    return b === undefined ? undefined : decodeString(b, 'latin1');
  }

  readU32(ptr: number): number | undefined {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return undefined;
    return new DataView(this.buffer).getUint32(ptr, true);
  }

  write(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, data.length)) return false;
    new Uint8Array(this.buffer, ptr, data.length).set(data);
    return true;
  }

  writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    new DataView(this.buffer).setUint32(ptr, value >>> 0, true);
    return true;
  }

  writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    new DataView(this.buffer).setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /** malloc + copy; undefined when the guest returned an unusable pointer. */
  allocCopy(data: Uint8Array): number | undefined {
    const ptr = this.allocate(data.length) >>> 0;
    if (ptr === 0 || !this.write(ptr, data)) return undefined;
    return ptr;
  }

  /**
   * Envoy's copyToPointerSize: allocate a copy and write its pointer and size to two u32 slots.
   * A zero-length value is written as ptr=0, size=0 without calling malloc.
   */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let ptr = 0;
    if (data.length > 0) {
      const p = this.allocCopy(data);
      if (p === undefined) return false;
      ptr = p;
    }
    return this.writeU32(ptrPtr, ptr) && this.writeU32(sizePtr, data.length);
  }
}

/** Serializes pairs in the layout above. An empty list is 4 zero bytes. */
export function encodePairs(pairs: Pairs, encoding: PairsEncoding = 'utf8'): Uint8Array {
  const enc = pairs.map(([k, v]) => [encodeString(k, encoding), encodeString(v, encoding)] as const);
  let size = 4;
  for (const [k, v] of enc) size += 8 + k.length + 1 + v.length + 1;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, enc.length, true);
  let off = 4;
  for (const [k, v] of enc) {
    dv.setUint32(off, k.length, true);
    dv.setUint32(off + 4, v.length, true);
    off += 8;
  }
  for (const [k, v] of enc) {
    out.set(k, off);
    off += k.length + 1;
    out.set(v, off);
    off += v.length + 1;
  }
  return out;
}

/** Parses serialized pairs; null when Envoy would read the buffer as an empty map. */
export function decodePairs(buf: Uint8Array, encoding: PairsEncoding = 'utf8'): Pairs | null {
  if (buf.length > MAX_PAIRS_BYTES || buf.length < 4) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = dv.getUint32(0, true);
  if (count > MAX_PAIRS) return null;
  let off = 4;
  if (off + count * 8 > buf.length) return null;
  const sizes: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    sizes.push([dv.getUint32(off, true), dv.getUint32(off + 4, true)]);
    off += 8;
  }
  const out: Pairs = [];
  for (const [kl, vl] of sizes) {
    if (off + kl + 1 > buf.length || buf[off + kl] !== 0) return null;
    const k = decodeString(buf.subarray(off, off + kl), encoding);
    off += kl + 1;
    if (off + vl + 1 > buf.length || buf[off + vl] !== 0) return null;
    const v = decodeString(buf.subarray(off, off + vl), encoding);
    off += vl + 1;
    out.push([k, v]);
  }
  return out;
}
