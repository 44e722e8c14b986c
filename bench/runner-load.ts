// `npm run bench:runner-load`: the local runner end to end under a burst of concurrent requests
// (BENCH_CONCURRENCY, default 5,000, each on its own connection) to the demo's default upstream,
// in four variants measured the same way one after the other: the bare upstream (no proxy), the
// runner without a wasm filter (the bootstrap's envoy.filters.http.wasm removed), the runner with
// a no-op module in the filter's place, and the runner with the built filter. Per variant:
// throughput, p50/p95/p99, 200s, Envoy's 503 overflow (UO) and other failures. Prints a table and
// writes them as `runner_load` into bench/results.json (kept by `npm run bench`; rendered into the
// README by bench/readme.ts). The client runs in the same process as the runner, so the figures
// are a lower bound. Each variant gets a warm-up burst of 500 first (JIT, connection pools). Exits non-zero when a request through the filter failed other than by an
// immediate 503 overflow (issue 12: every request answered promptly).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, startBed, startUpstream, type Bed } from '../tests/e2e/harness.ts';
import { burst, type LoadResult } from '../tests/e2e/load.ts';
import { noopModule } from './per-request.ts';
import { renderReadme, README } from './readme.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'bench/results.json');
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 5000);
const HEADERS = { host: 'default.demo' };
const WARMUP = 500;

/** A warm-up burst (JIT, pools), then the measured one. */
async function measured(variant: string, url: string) {
  await burst(url, { concurrency: WARMUP, headers: HEADERS, timeoutMs: 60_000 });
  return summary(variant, await burst(url, { concurrency, headers: HEADERS, timeoutMs: 60_000 }));
}

/** envoy/envoy.yaml without its wasm http filter. */
function withoutWasm(): string {
  const doc = parse(fs.readFileSync(path.join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8'));
  let removed = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) { v.forEach(walk); return; }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o.http_filters)) {
      const before = o.http_filters.length;
      o.http_filters = o.http_filters.filter((f: { name?: string }) => f?.name !== 'envoy.filters.http.wasm');
      removed += before - (o.http_filters as unknown[]).length;
    }
    Object.values(o).forEach(walk);
  };
  walk(doc);
  if (removed === 0) throw new Error('envoy/envoy.yaml: no envoy.filters.http.wasm filter to remove');
  return stringify(doc);
}

function summary(variant: string, r: LoadResult) {
  const ok200 = r.statuses[200] ?? 0;
  const overflow503 = r.resetReasons.overflow ?? 0;
  return { variant, requests: r.requests, perSecond: r.perSecond, p50Ms: r.p50Ms, p95Ms: r.p95Ms, p99Ms: r.p99Ms, maxMs: r.maxMs, ok200, overflow503, failed: r.requests - ok200 - overflow503 };
}

async function throughBed(variant: string, opts: Parameters<typeof startBed>[0]) {
  const bed: Bed = await startBed(opts);
  try {
    return await measured(variant, bed.url('/load'));
  } finally {
    await bed.close();
  }
}

const variants = [];
const bare = await startUpstream({ name: 'default' });
try {
  variants.push(await measured('bare upstream', `http://127.0.0.1:${bare.port}/load`));
} finally {
  await bare.close();
}
variants.push(await throughBed('runner without a wasm filter', { upstreams: ['default', 'dev'], yaml: withoutWasm(), wasmFile: null }));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'routekey-bench-'));
try {
  const noop = path.join(tmp, 'noop.wasm');
  fs.writeFileSync(noop, await noopModule());
  variants.push(await throughBed('runner with a no-op module', { upstreams: ['default', 'dev'], wasmFile: noop }));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
variants.push(await throughBed('runner with routekey', { upstreams: ['default', 'dev'] }));

console.table(variants);
const results = fs.existsSync(OUT) ? JSON.parse(fs.readFileSync(OUT, 'utf8')) : {};
results.runner_load = { date: new Date().toISOString(), node: process.version, concurrency, variants };
fs.writeFileSync(OUT, JSON.stringify(results, null, 2) + '\n');
if (Array.isArray(results.rows)) fs.writeFileSync(README, renderReadme(fs.readFileSync(README, 'utf8'), fs.readFileSync(OUT, 'utf8')));
console.log(`written to ${path.relative(root, OUT)}${Array.isArray(results.rows) ? ' and the README tables' : ''}`);
process.exitCode = variants.at(-1)!.failed === 0 ? 0 : 1;
