// Live rules pulled from a rules server (issue 8; README, "Live rules"): the root's fetch duty
// (fetcher.ts) and its pure parts — the lease that picks one fetcher per proxy (lease.ts), the
// backoff (backoff.ts), what is published in shared data (published.ts, keys.ts), the callout's
// request (request.ts) and the metrics (metrics.ts).
export { RulesFetcher, runPeriodMs } from "./fetcher";
