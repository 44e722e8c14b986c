// Small statistics for the bench: median and spread of a few rounds.

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median and spread (max − min) of the rounds, rounded to whole units. */
export function summary(xs: number[]): { median: number; spread: number } {
  return { median: Math.round(median(xs)), spread: Math.round(Math.max(...xs) - Math.min(...xs)) };
}
