// `npm run soak`: 1,000,000 requests and 1,000 reconfigurations through host/lib (the strict,
// Envoy-faithful host) against build/routekey.wasm, and linear memory before, after warm-up and
// at the end. Reconfigurations alternate good and bad, small and large (good small, bad small,
// good large, bad large, …), the way Envoy applies one: the canary checks it, then each worker
// gets a new root context and the old one ends (a refused one leaves the old in force). Exits 1
// when memory grew after warm-up (the first tenth of the run), on a trap, a host-call violation,
// or a request routed where the configuration in force does not send it. Writes bench/soak.json.
//
// SOAK_REQUESTS, SOAK_RECONFIGURATIONS, SOAK_LARGE_ROUTES change the sizes; SOAK_WARMUP_FRACTION
// the warm-up (0 shows the check failing: memory grows from the first small configuration).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPlugin } from '../host/lib/plugin.ts';
import type { HeaderList } from '../host/lib/api.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 1_000_000);
const RECONFIGURATIONS = Number(process.env.SOAK_RECONFIGURATIONS ?? 1_000);
const LARGE = Number(process.env.SOAK_LARGE_ROUTES ?? 2_000);
const WORKERS = 2;

/** Generation n's configuration: `small` has 3 routes, a large one LARGE; keys k0… go to gN-i.svc. */
function config(n: number, large: boolean): string {
  const count = large ? LARGE : 3;
  const routes = Array.from({ length: count }, (_, i) => ({
    name: `r${i}`, keys: [`k${i}`],
    destination: i % 3 === 1 ? `http://g${n}-${i}.svc/api` : `g${n}-${i}.svc:8080`,
    ...(i % 3 === 2 ? { requestHeaders: { set: { 'x-gen': `${n}` }, add: { 'x-trace': '1' }, remove: ['x-debug'] } } : {}),
  }));
  return JSON.stringify({ key: [{ header: 'x-sandbox' }, { header: 'x-env' }], routes, default: { destination: `base-${n}.svc` }, decisionHeader: 'x-routekey-route' });
}
/** A refused one: the same shape with one bad destination at the end (so it is parsed in full). */
function bad(n: number, large: boolean): string {
  return config(n, large).replace(/"default":\{"destination":"[^"]*"\}/, '"default":{"destination":"ftp://x"}');
}

const plugin = await startPlugin({
  wasm: new Uint8Array(fs.readFileSync(path.join(root, 'build/routekey.wasm'))),
  rootId: 'routekey', configuration: config(0, false), workers: WORKERS, recordHostCalls: false,
});
const memory = () => plugin.workerNames().map((vm) => plugin.memoryBytes(vm));
const start = memory();

let gen = 0;
let routes = 3;
let accepted = 0;
let refused = 0;
let misrouted = 0;
const every = Math.max(1, Math.floor(REQUESTS / (RECONFIGURATIONS + 1)));
const warmupAt = Math.floor(REQUESTS * Number(process.env.SOAK_WARMUP_FRACTION ?? 0.1));
let afterWarmup: number[] = [];
const t0 = performance.now();
let reconfigureMs = 0;
let done = 0;

for (let i = 0; i < REQUESTS; i++) {
  if (i > 0 && i % every === 0 && accepted + refused < RECONFIGURATIONS) {
    const step = accepted + refused;
    const large = step % 4 >= 2;
    const good = step % 2 === 0;
    const r0 = performance.now();
    try {
      await plugin.reconfigure(good ? config(gen + 1, large) : bad(gen + 1, large));
      gen++;
      routes = large ? LARGE : 3;
      accepted++;
    } catch (e) {
      if ((e as Error).name !== 'ConfigRejectedError') throw e;
      refused++;
    }
    reconfigureMs += performance.now() - r0;
  }
  if (i === warmupAt) afterWarmup = memory(); // before this request and the reconfiguration due here
  const k = i % 7;
  const headers: HeaderList = [[':authority', 'app.local'], [':path', `/p/${i % 1009}?q=${i % 13}`], [':method', 'GET']];
  const idx = (i * 7919) % routes;
  if (k < 4) headers.push(['x-env', `k${idx}`]);
  else if (k === 4) headers.push(['x-env', `nope-${i % 101}`]);
  else if (k === 5) headers.push(['x-sandbox', `k${idx}`], ['x-env', 'k0']);
  const s = plugin.createStream();
  const out = s.onRequestHeaders(headers, true);
  s.onResponseHeaders([[':status', '200']], true);
  s.complete();
  done++;
  if (i % 997 === 0) {
    const authority = out.headers.find(([n]) => n === ':authority')?.[1];
    const expected = k < 4 || k === 5 ? `g${gen}-${idx}.svc${idx % 3 === 1 ? '' : ':8080'}` : `base-${gen}.svc`;
    if (authority !== expected) misrouted++;
  }
}
const durationMs = performance.now() - t0;
const end = memory();
const failures = plugin.failures();
const violations = plugin.violations();
await plugin.close();

const grew = end.some((b, w) => b > (afterWarmup[w] ?? 0));
const pass = !grew && failures.length === 0 && violations.length === 0 && misrouted === 0 && accepted + refused === RECONFIGURATIONS;
const result = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  requests: done,
  reconfigurations: { total: accepted + refused, accepted, refused, largeRoutes: LARGE, smallRoutes: 3, ms: Math.round(reconfigureMs) },
  workers: WORKERS,
  memoryBytes: { start, afterWarmup, end },
  grewAfterWarmup: grew,
  failures: failures.length,
  violations: violations.length,
  misrouted,
  durationMs: Math.round(durationMs),
  usPerRequest: Number(((durationMs - reconfigureMs) * 1000 / done).toFixed(2)),
  result: pass ? 'pass' : 'fail',
};
fs.writeFileSync(path.join(root, 'bench/soak.json'), JSON.stringify(result, null, 1) + '\n');
const kib = (b: number[]) => b.map((x) => `${(x / 1024).toFixed(0)} KiB`).join(' / ');
console.log(`soak: ${done} requests, ${accepted + refused} reconfigurations (${accepted} accepted, ${refused} refused; ${LARGE} and 3 routes), ${WORKERS} workers`);
console.log(`memory per worker: start ${kib(start)}, after warm-up ${kib(afterWarmup)}, end ${kib(end)}`);
console.log(`${Math.round(durationMs)} ms (${result.usPerRequest} µs per request through host/lib, ${Math.round(reconfigureMs)} ms reconfiguring); failures ${failures.length}, violations ${violations.length}, misrouted ${misrouted}`);
console.log(`soak: ${result.result}${grew ? ': memory grew after warm-up' : ''} (bench/soak.json)`);
if (!pass) process.exit(1);
