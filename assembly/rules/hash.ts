// FNV-1a over raw bytes: cheap, no allocation, good enough spread for the open-addressing tables
// here (the rule table, json/stringmap.ts), whose keys come from the configuration (a request can
// only pick which chain to walk, not make it longer).

// @ts-ignore: decorator
@inline const FNV_OFFSET: u32 = 0x811c9dc5;
// @ts-ignore: decorator
@inline const FNV_PRIME: u32 = 0x01000193;

export function hashBytes(ptr: usize, len: usize): u32 {
  let h = FNV_OFFSET;
  for (let i: usize = 0; i < len; i++) {
    h = (h ^ <u32>load<u8>(ptr + i)) * FNV_PRIME;
  }
  return h;
}
