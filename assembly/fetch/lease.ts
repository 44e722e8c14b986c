// The fetch lease: which worker VM of a proxy fetches. Envoy runs one VM per worker thread and
// shares shared data process-wide, so the workers agree through one value there: the holder's id
// and when its lease runs out. Pure: the value's bytes and the decision; fetcher.ts does the
// host calls (get, then set with the CAS it read).
//
// Shared data has no "create if absent": a set with CAS on a missing key succeeds whatever the
// CAS. So an absent lease is written unconditionally and read back: whoever reads its own id
// holds it. (Two workers claiming at the same instant on two threads can each read their own id
// back; the next run settles it — the value holds the last writer's id — at the cost of at most
// one extra fetch, once, when the proxy starts.) An existing lease is only ever replaced with the
// CAS it was read with, which is atomic: of two workers taking over an expired lease, one gets
// CasMismatch.

/** The value: holder id (u64 LE), then expiry in host milliseconds (u64 LE). */
export const LEASE_BYTES: i32 = 16;

/** A lease lasts this many refresh periods: a holder that stopped renewing is taken over then. */
export const LEASE_PERIODS: u64 = 3;

export const enum LeaseStep {
  Claim,    // nobody holds it (absent): write ours unconditionally, then read it back
  Renew,    // ours, and less than two thirds of it remain: renew with CAS
  Hold,     // ours, still long enough
  TakeOver, // expired, or a value that is not a lease: take it with CAS
  Other,    // another worker's, still valid
}

/** Writes the lease value into the LEASE_BYTES at `ptr`. */
export function encodeLease(ptr: usize, holder: u64, expiresMs: u64): void {
  store<u64>(ptr, holder);
  store<u64>(ptr, expiresMs, 8);
}

/** The holder in a lease value (0 when it is not one). */
export function leaseHolder(ptr: usize, len: usize): u64 {
  return len == <usize>LEASE_BYTES ? load<u64>(ptr) : 0;
}

/**
 * What worker `me` does about the lease value at ptr..ptr+len (`present` false: absent) at host
 * time `nowMs`, for leases of `ttlMs`.
 */
export function leaseStep(present: bool, ptr: usize, len: usize, me: u64, nowMs: u64, ttlMs: u64): LeaseStep {
  if (!present) return LeaseStep.Claim;
  if (len != <usize>LEASE_BYTES) return LeaseStep.TakeOver;
  let holder = load<u64>(ptr);
  let expires = load<u64>(ptr, 8);
  if (holder == me) {
    // Renew when less than two thirds remain: about once a period, never after it ran out.
    return expires <= nowMs || expires - nowMs < ttlMs - ttlMs / LEASE_PERIODS ? LeaseStep.Renew : LeaseStep.Hold;
  }
  return nowMs >= expires ? LeaseStep.TakeOver : LeaseStep.Other;
}
