// What the holder publishes in shared data for the other workers (fetcher.ts), and its bytes.
// Pure. Two keys per rules service (keys.ts):
//   doc   [u32 version length][version][u32 etag length][etag][the document's bytes]
//         ONE value, so that a reader never sees a version with another version's document;
//   gen   u64, bumped after each new doc: what every worker reads on each tick (8 bytes) to know
//         whether the doc changed, so that the document is read and parsed only when it did.

/** Bytes of the doc value for a version, an etag and a document of these sizes. */
export function publishedSize(versionLen: i32, etagLen: i32, docLen: i32): i32 {
  return 8 + versionLen + etagLen + docLen;
}

/** Writes the doc value at `ptr` (publishedSize bytes). */
export function encodePublished(ptr: usize, version: string, etag: string, docPtr: usize, docLen: i32): void {
  let v = String.UTF8.byteLength(version);
  let e = String.UTF8.byteLength(etag);
  store<u32>(ptr, <u32>v);
  String.UTF8.encodeUnsafe(changetype<usize>(version), version.length, ptr + 4);
  store<u32>(ptr + 4 + <usize>v, <u32>e);
  String.UTF8.encodeUnsafe(changetype<usize>(etag), etag.length, ptr + 8 + <usize>v);
  memory.copy(ptr + 8 + <usize>(v + e), docPtr, <usize>docLen);
}

/** A doc value read back: where its parts are, or `ok` false when the bytes are not one. */
export class Published {
  ok: bool = false;
  version: string = "";
  etag: string = "";
  docPtr: usize = 0;
  docLen: i32 = 0;
}

/** Reads the doc value at ptr..ptr+len (never past it, whatever the bytes). */
export function decodePublished(ptr: usize, len: usize): Published {
  let p = new Published();
  if (len < 8) return p;
  let v = <usize>load<u32>(ptr);
  if (v > len - 8) return p;
  let e = <usize>load<u32>(ptr + 4 + v);
  if (e > len - 8 - v) return p;
  p.version = String.UTF8.decodeUnsafe(ptr + 4, v);
  p.etag = String.UTF8.decodeUnsafe(ptr + 8 + v, e);
  p.docPtr = ptr + 8 + v + e;
  p.docLen = <i32>(len - 8 - v - e);
  p.ok = true;
  return p;
}

/** The generation in a gen value (0 when absent or not one). */
export function decodeGeneration(ptr: usize, len: usize): u64 {
  return len == 8 ? load<u64>(ptr) : 0;
}
