// `node --import tsx bench/runner-load.ts`: the local runner under a burst of concurrent requests
// (BENCH_CONCURRENCY, default 5,000, each on its own connection) through the built filter to the
// demo upstreams, as issue 12 measured it: throughput, p50/p99, and how many were refused with
// Envoy's 503 overflow (UO) or failed otherwise. The client runs in the same process as the runner,
// so the figures are a lower bound. Prints one JSON line.

import { startBed } from '../tests/e2e/harness.ts';
import { burst } from '../tests/e2e/load.ts';

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 5000);
const bed = await startBed({ upstreams: ['default', 'dev'] });
try {
  const r = await burst(bed.url('/load'), { concurrency, headers: { host: 'default.demo' }, timeoutMs: 60_000 });
  const stats = (await (await fetch(bed.admin('/stats?filter=^cluster\\.default\\.'))).text()).trim().split('\n');
  const failed = r.requests - (r.statuses[200] ?? 0) - (r.resetReasons.overflow ?? 0);
  console.log(JSON.stringify({ bench: 'runner-load', ...r, overflow503: r.resetReasons.overflow ?? 0, failed, stats }));
  process.exitCode = failed === 0 ? 0 : 1;
} finally {
  await bed.close();
}
