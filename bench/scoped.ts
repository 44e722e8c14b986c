// The scoped-rules row group of `npm run bench` (bench/run.ts): routes per service (`hosts`) and
// key prefixes, as sandbox routing uses them, at 10 and 100 000 routes. The per-request figure
// must not grow with the route count (issue 9: 100k scoped rules within 1.2× of 10), because each
// (key, host) pair is one slot of the table and a request probes at most 3 × (1 + prefix lengths).
//
// Routes: S (5) services × K sandbox keys, route i scoped to host svc-(i mod S) with key
// sb-(i div S), plus one prefix route per service ("pr-" → its preview).
// Requests, in turn: a service's own sandbox key (routed), a preview key (prefix), a key no route
// of that service has (unknown), no key. The host is the 'maps' stub of bench/per-request.ts.
import fs from 'node:fs';
import { load, gc, timeRequests, WASM_PATH, REQUESTS, ROUNDS, WARMUP, type Loaded } from './per-request.ts';
import { summary } from './stats.ts';

const SERVICES = 5;

function config(routes: number): string {
  const keysPerService = Math.max(1, Math.floor((routes - SERVICES) / SERVICES));
  const out: object[] = [];
  for (let s = 0; s < SERVICES; s++) {
    out.push({ name: `svc-${s}-preview`, prefixes: ['pr-'], hosts: [`svc-${s}`], destination: `svc-${s}-preview.dev.svc:8080` });
    for (let k = 0; k < keysPerService; k++) {
      out.push({ name: `svc-${s}-sb-${k}`, keys: [`sb-${k}`], hosts: [`svc-${s}`, `svc-${s}.dev.svc.cluster.local:8080`],
        destination: `svc-${s}-sb-${k}.dev.svc:8080`, requestHeaders: { set: { 'x-sandbox': `sb-${k}` } } });
    }
  }
  return JSON.stringify({ key: 'x-env', routes: out, decisionHeader: 'x-routekey-route' });
}

function drive(l: Loaded, keysPerService: number, n: number, firstId: number, rounds = ROUNDS): number[] {
  const hosts: string[] = [];
  const keys: string[] = [];
  for (let i = 0; i < 64; i++) {
    hosts.push(i % 2 === 0 ? `svc-${i % SERVICES}:8080` : `svc-${i % SERVICES}.dev.svc.cluster.local:8080`);
    keys.push(`sb-${(i * 7919) % keysPerService}`);
  }
  return timeRequests(l, n, firstId, rounds, (i) => {
    const k = i & 3;
    l.prepare(k === 0 ? keys[i & 63]! : k === 1 ? `pr-${i & 1023}` : k === 2 ? 'nobody' : null, hosts[(i >> 2) & 63]);
  });
}

/** One row per route count; the 100k row carries its ratio to the 10-route row. */
export async function scopedRows(): Promise<Array<Record<string, number | string>>> {
  const filter = new Uint8Array(fs.readFileSync(WASM_PATH));
  const rows: Array<Record<string, number | string>> = [];
  for (const routes of [10, 100_000]) {
    const json = config(routes);
    const keysPerService = Math.max(1, Math.floor((routes - SERVICES) / SERVICES));
    const t0 = process.hrtime.bigint();
    const l = load(filter, json, 'maps');
    const configureMs = Number(process.hrtime.bigint() - t0) / 1e6;
    drive(l, keysPerService, WARMUP, 10, 1);
    gc();
    const callsBefore = l.hostCalls();
    const s = summary(drive(l, keysPerService, REQUESTS, 10 + WARMUP));
    const hostCalls = (l.hostCalls() - callsBefore) / (ROUNDS * REQUESTS);
    l.exports.proxy_on_tick(l.rootId());
    const counters = l.counters;
    const sandbox = [...counters].filter(([k]) => /^routekey\.routed\.route\.svc-\d+-sb-/.test(k)).reduce((a, [, v]) => a + v, 0);
    const preview = [...counters].filter(([k]) => /^routekey\.routed\.route\.svc-\d+-preview$/.test(k)).reduce((a, [, v]) => a + v, 0);
    if (sandbox === 0 || preview === 0) throw new Error('scoped bench: the filter routed no sandbox or preview request');
    const row: Record<string, number | string> = {
      routes: json.match(/"name"/g)!.length, ns_maps_stub: s.median, ns_maps_spread: s.spread,
      host_calls: Number(hostCalls.toFixed(2)), configure_ms: Math.round(configureMs),
      memory_kib: l.memoryBytes() / 1024, table_bytes: l.tableBytes(),
    };
    if (rows.length > 0) row.over_10_routes = Number((s.median / (rows[0].ns_maps_stub as number)).toFixed(3));
    rows.push(row);
  }
  return rows;
}
