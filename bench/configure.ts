// Configure time and linear memory per VM at 10 / 10k / 100k routes, on its own (the `rows`
// group of `npm run bench` has the same figures among many):
//   node --import tsx bench/configure.ts [routes…]
// Through host/lib as Envoy loads a configuration: startPlugin runs a canary VM and one worker VM,
// each a fresh instance that configures once; then the same text is pushed again (`reconfigure`:
// a new canary and the worker's second root context) and the worker's memory is read again, the
// figure that must not grow. Each root context's on_vm_start + on_configure is timed where the
// host calls it (WasmVm.startRoot): wall time, and the process's CPU time over the same span,
// which a busy machine inflates less (it still counts V8's background compilation threads; run
// node with --no-liftoff to have every function compiled before the first call). Medians over
// CONFIGURE_ROUNDS starts; ROUTEKEY_WASM names another build (e.g. one with a name section, for a
// CPU profile: bench/profile-phases.mjs).
import fs from 'node:fs';
import { startPlugin } from '../host/lib/index.ts';
import { WasmVm } from '../host/lib/vm.ts';
import { builtWasm } from '../tests/helpers/routekey.ts';
import { median } from './stats.ts';

const ROUNDS = Number(process.env.CONFIGURE_ROUNDS ?? 5);

/** The native form, one key, a destination and one `requestHeaders.set` per route (as bench/per-request.ts). */
export function nativeConfig(routes: number): string {
  const list = [];
  for (let i = 0; i < routes; i++) {
    list.push({ name: `sb-${i}`, keys: [`sandbox-${i}`], destination: `sandbox-${i}.dev.svc:8080`, requestHeaders: { set: { 'x-sandbox': `sb-${i}` } } });
  }
  return JSON.stringify({ key: 'x-env', routes: list, default: { destination: 'baseline.svc:8080' }, decisionHeader: 'x-routekey-route' });
}

/** Wall and CPU ms of every WasmVm.startRoot since the last take(). */
const timed: Array<{ wall: number; cpu: number }> = [];
const original = WasmVm.prototype.startRoot;
WasmVm.prototype.startRoot = function (this: WasmVm, ...args: Parameters<typeof original>) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  try {
    return original.apply(this, args);
  } finally {
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    timed.push({ wall, cpu: (c.user + c.system) / 1000 });
  }
};
const take = () => timed.splice(0);

export interface ConfigureRow {
  routes: number; config_bytes: number; configure_ms: number; configure_cpu_ms: number; reconfigure_ms: number;
  memory_kib: number; after_reconfigure_kib: number; table_bytes: number; memory_over_table: number;
}

export async function configureRow(routes: number, rounds = ROUNDS): Promise<ConfigureRow> {
  const wasm = process.env.ROUTEKEY_WASM ? new Uint8Array(fs.readFileSync(process.env.ROUTEKEY_WASM)) : builtWasm();
  const configuration = nativeConfig(routes);
  const first: Array<{ wall: number; cpu: number }> = [];
  const again: number[] = [];
  let memory = 0, after = 0, table = NaN;
  for (let r = 0; r < rounds; r++) {
    take();
    const p = await startPlugin({ wasm, rootId: 'routekey', configuration, workers: 1, recordHostCalls: false });
    first.push(...take());
    memory = Math.max(memory, p.memoryBytes());
    const line = p.logs.map((l) => /\((\d+) bytes of rules\)/.exec(l.message)).find((m) => m !== null);
    if (line) table = Number(line[1]);
    await p.reconfigure(configuration);
    again.push(...take().map((t) => t.wall));
    after = Math.max(after, p.memoryBytes());
    await p.close();
  }
  return {
    routes, config_bytes: configuration.length,
    configure_ms: +median(first.map((t) => t.wall)).toFixed(1), configure_cpu_ms: +median(first.map((t) => t.cpu)).toFixed(1),
    reconfigure_ms: +median(again).toFixed(1),
    memory_kib: memory / 1024, after_reconfigure_kib: after / 1024, table_bytes: table, memory_over_table: +(memory / table).toFixed(2),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [10, 10_000, 100_000];
  const rows = [];
  for (const n of sizes) rows.push(await configureRow(n));
  console.table(rows);
}
