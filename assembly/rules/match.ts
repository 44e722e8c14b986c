// Which action a request's key selects, and in which order the table's slots are tried:
//
//   for the request's host as sent (with its port), then without the port, then any host:
//     the exact key, then the key's prefixes, longest first
//
// The first slot found wins: a route scoped to the request's host beats one for every host, as
// Envoy picks the virtual host by domain before it looks at routes; within one host an exact key
// beats a prefix. A table without host-scoped routes has host ids 0, and one without prefixes no
// prefix lengths: then this is one probe, a plain key → route map. At most
// 3 × (1 + MAX_PREFIX_LENGTHS) probes, each O(1) in the number of rules.
import { hashBytes, FNV_OFFSET, fnvStep } from "../bytes";
import { RuleTable, NO_ACTION } from "./table";
import { SCOPE_PREFIX } from "./layout";

/** Distinct key prefix lengths a rule set may have: bounds the probes per request. */
export const MAX_PREFIX_LENGTHS = 16;

/**
 * The action for the key at ptr..ptr+len sent to host `hostId` (`bareHostId`: the host without
 * its port; 0 for a host no route lists), or NO_ACTION. Allocates nothing.
 */
export function matchKey(table: RuleTable, ptr: usize, len: usize, hostId: u32, bareHostId: u32): i32 {
  let hash = hashBytes(ptr, len);
  if (table.prefixCount > 0) hashPrefixes(table, ptr, len);
  if (hostId != 0) {
    let a = matchScope(table, hostId << 1, hash, ptr, len);
    if (a != NO_ACTION) return a;
  }
  if (bareHostId != 0 && bareHostId != hostId) {
    let a = matchScope(table, bareHostId << 1, hash, ptr, len);
    if (a != NO_ACTION) return a;
  }
  return matchScope(table, 0, hash, ptr, len);
}

/** The exact key, then its prefixes, in one host scope. */
function matchScope(table: RuleTable, scope: u32, hash: u32, ptr: usize, len: usize): i32 {
  let a = table.lookupIn(scope, hash, ptr, len);
  if (a != NO_ACTION) return a;
  let n = table.prefixCount;
  for (let i = 0; i < n; i++) {
    let p = table.prefixLength(i);
    if (p > len) continue;
    a = table.lookupIn(scope | SCOPE_PREFIX, load<u32>(prefixHashes + (<usize>i << 2)), ptr, p);
    if (a != NO_ACTION) return a;
  }
  return NO_ACTION;
}

/** The hash of the key's prefix of each prefix length (by the table's index), for one request. */
const prefixHashes = memory.data(MAX_PREFIX_LENGTHS << 2);

/** Fills prefixHashes for the lengths ≤ len in one pass over the key: FNV-1a is incremental. */
function hashPrefixes(table: RuleTable, ptr: usize, len: usize): void {
  let h = FNV_OFFSET;
  let at: usize = 0;
  // The table lists lengths longest first: walk them shortest first.
  for (let i = table.prefixCount - 1; i >= 0; i--) {
    let p = table.prefixLength(i);
    if (p > len) break;
    for (; at < p; at++) h = fnvStep(h, <u32>load<u8>(ptr + at));
    store<u32>(prefixHashes + (<usize>i << 2), h);
  }
}
