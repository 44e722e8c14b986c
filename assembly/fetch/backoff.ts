// When the next fetch is due. Pure: times in milliseconds; `random` is any 32 random bits.
//
// After a success the period is the configured one. After n failures in a row it doubles each
// time (2×, 4×, 8× the period …) up to a cap of 8 periods and at most 5 minutes (never below
// one period), and is jittered down by up to a quarter so that proxies that failed together do
// not all come back at the same instant.

export const MAX_BACKOFF_PERIODS: u64 = 8;
export const MAX_BACKOFF_MS: u64 = 300000;

/** The cap for `refreshMs`: 8 periods, at most 5 minutes, at least one period. */
export function backoffCapMs(refreshMs: u32): u64 {
  let cap = <u64>refreshMs * MAX_BACKOFF_PERIODS;
  if (cap > MAX_BACKOFF_MS) cap = MAX_BACKOFF_MS;
  return cap < <u64>refreshMs ? <u64>refreshMs : cap;
}

/** The delay before the next fetch after `failures` failures in a row (0: the last succeeded). */
export function nextDelayMs(failures: i32, refreshMs: u32, random: u32): u64 {
  if (failures <= 0) return <u64>refreshMs;
  let cap = backoffCapMs(refreshMs);
  let delay = <u64>refreshMs;
  for (let i = 0; i < failures && delay < cap; i++) delay <<= 1;
  if (delay > cap) delay = cap;
  let spread = delay / 4;
  return spread == 0 ? delay : delay - <u64>random % (spread + 1);
}
