// FNV-1a: cheap, no allocation, good enough spread for the open-addressing tables here (the rule
// table, json/stringset.ts), whose keys come from the configuration (a request can only pick which
// chain to walk, not make it longer). One definition of the constants for every user: the tables
// hash bytes, metric names (rules/metric.ts) hash UTF-16 code units.

// @ts-ignore: decorator
@inline export const FNV_OFFSET: u32 = 0x811c9dc5;
// @ts-ignore: decorator
@inline export const FNV_PRIME: u32 = 0x01000193;

/** One FNV-1a step: `h` with one more unit (a byte or a UTF-16 code unit) mixed in. */
// @ts-ignore: decorator
@inline export function fnvStep(h: u32, unit: u32): u32 {
  return (h ^ unit) * FNV_PRIME;
}

/** FNV-1a over the raw bytes at ptr..ptr+len. */
export function hashBytes(ptr: usize, len: usize): u32 {
  let h = FNV_OFFSET;
  for (let i: usize = 0; i < len; i++) {
    h = fnvStep(h, <u32>load<u8>(ptr + i));
  }
  return h;
}

/**
 * A rule table slot's hash: a key's hashBytes with the slot's scope (rules/layout.ts) mixed in,
 * so that one key under several scopes spreads over the table. Scope 0 leaves the hash as it is.
 */
// @ts-ignore: decorator
@inline export function scopedHash(h: u32, scope: u32): u32 {
  return h ^ (scope * 0x9E3779B1);
}
