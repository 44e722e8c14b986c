// The per-request row group of `npm run bench` (bench/run.ts): how much time and memory the built
// filter costs per request, for 1, 1 000 and 100 000 rules, against a no-op module driven the same
// way (through both stubs, measured, not copied).
//
// The host here is a deliberately minimal stub, not host/: the figure wanted is the filter's own
// work per request, and host/'s bookkeeping (phase checks, call recording) would swamp it. Two
// stubs: 'thin' answers each call without decoding anything (so the time is the filter's wasm
// plus ~5 near-empty JS calls), 'maps' keeps real header maps in JS (decoding names and values,
// as a host must). Each request goes through what Envoy calls per stream: context_create,
// request_headers, response_headers, log, done, delete. Each figure is the median of ROUNDS (5)
// rounds, with the spread (max − min) next to it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { summary } from './stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WASM = path.join(root, 'build/routekey.wasm');
export const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);
export const WARMUP = 20_000;
export const ROUNDS = 5;

const te = new TextEncoder();
const PATH_BYTES = new TextEncoder().encode('/hello');
const td = new TextDecoder();

type Stub = 'thin' | 'maps';

export interface Loaded {
  exports: Record<string, any>;
  memoryBytes(): number;
  hostCalls(): number;
  /** Sets up the next request's headers: ':authority', ':path' and, when key is not null, x-env. */
  prepare(key: string | null, authority?: string): void;
  counters: Map<string, number>;
  /** The root context streams are created under (changes with reconfigure). */
  rootId(): number;
  /** The rule table's size, from the filter's own "configured …" log line. */
  tableBytes(): number;
  /** What Envoy does for a new configuration: a new root context is configured, then the old
   *  one ends. The configuration is the same text again. */
  reconfigure(): void;
}

export function load(bytes: Uint8Array<ArrayBuffer>, configuration: string, stub: Stub): Loaded {
  const mod = new WebAssembly.Module(bytes);
  let mem: WebAssembly.Memory;
  let exp: Record<string, any> = {};
  // Views are rebuilt only when the memory grew (a new buffer), so the stub stays cheap.
  let seen: ArrayBuffer | undefined;
  let view8 = new Uint8Array(0);
  let view = new DataView(new ArrayBuffer(0));
  const refresh = () => {
    if (mem.buffer !== seen) { seen = mem.buffer; view8 = new Uint8Array(seen); view = new DataView(seen); }
  };
  const u8 = () => { refresh(); return view8; };
  const dv = () => { refresh(); return view; };
  const str = (p: number, n: number) => td.decode(u8().subarray(p, p + n));
  let calls = 0;
  const give = (b: Uint8Array, pp: number, ps: number) => {
    let p = 0;
    if (b.length > 0) { p = exp.malloc(b.length); u8().set(b, p); }
    dv().setUint32(pp, p, true);
    dv().setUint32(ps, b.length, true);
  };
  const request = new Map<string, string>();
  const response = new Map<string, string>();
  const maps: Record<number, Map<string, string>> = { 0: request, 2: response };
  const encoded = new Map<string, Uint8Array>();
  const bytesOf = (v: string) => {
    let b = encoded.get(v);
    if (!b) { b = te.encode(v); encoded.set(v, b); }
    return b;
  };
  const names: string[] = [];
  const counts: number[] = [];
  let thinKey: Uint8Array | null = null;
  let thinAuthority = bytesOf('app.svc:8080');
  let lastLog = '';
  let rootId = 1;
  const config = te.encode(configuration);
  const env: Record<string, Function> = {
    proxy_log: (_l: number, p: number, n: number) => { lastLog = str(p, n); return 0; },
    proxy_get_log_level: (p: number) => { dv().setUint32(p, 2, true); return 0; },
    proxy_get_buffer_bytes: (_t: number, _s: number, _n: number, pp: number, ps: number) => { give(config, pp, ps); return 0; },
    proxy_get_property: (_p: number, _n: number, pp: number, ps: number) => { give(te.encode('routekey'), pp, ps); return 0; },
    proxy_set_effective_context: () => 0,
    proxy_set_tick_period_milliseconds: () => 0,
    proxy_get_header_map_value: (t: number, p: number, n: number, pp: number, ps: number) => {
      calls++;
      if (stub === 'thin') {
        // Request map only: 'x…' is the key header, ':a…' is :authority, ':p…' is :path.
        const first = u8()[p];
        const v = t !== 0 ? null : first === 0x78 ? thinKey : first !== 0x3a ? null : u8()[p + 1] === 0x61 ? thinAuthority : PATH_BYTES;
        if (v === null) return 1;
        give(v, pp, ps);
        return 0;
      }
      const v = maps[t].get(str(p, n));
      if (v === undefined) return 1;
      give(bytesOf(v), pp, ps);
      return 0;
    },
    proxy_replace_header_map_value: (t: number, p: number, n: number, vp: number, vn: number) => { calls++; if (stub === 'maps') maps[t].set(str(p, n), str(vp, vn)); return 0; },
    proxy_add_header_map_value: (t: number, p: number, n: number, vp: number, vn: number) => { calls++; if (stub === 'maps') maps[t].set(str(p, n), str(vp, vn)); return 0; },
    proxy_remove_header_map_value: (t: number, p: number, n: number) => { calls++; if (stub === 'maps') maps[t].delete(str(p, n)); return 0; },
    proxy_define_metric: (_t: number, p: number, n: number, idp: number) => {
      const name = str(p, n);
      let id = names.indexOf(name);
      if (id < 0) { id = names.length; names.push(name); }
      dv().setUint32(idp, id, true);
      return 0;
    },
    proxy_increment_metric: (id: number, d: bigint) => { calls++; counts[id] = (counts[id] ?? 0) + Number(d); return 0; },
    // Live rules (rulesService): the bench configurations have none, so none of these is on the
    // measured path; they answer as Envoy would, and any call is counted like the others.
    proxy_record_metric: () => { calls++; return 0; },
    proxy_get_current_time_nanoseconds: (p: number) => { calls++; dv().setBigUint64(p, process.hrtime.bigint(), true); return 0; },
    proxy_get_shared_data: () => { calls++; return 1; }, // NotFound
    proxy_set_shared_data: () => { calls++; return 0; },
    proxy_http_call: () => { calls++; return 2; }, // BadArgument: no such cluster
    proxy_send_local_response: () => { calls++; return 0; },
  };
  const wasi = {
    random_get: (p: number, n: number) => { calls++; for (let i = 0; i < n; i++) dv().setUint8(p + i, (Math.random() * 256) | 0); return 0; },
  };
  const imports: Record<string, Record<string, Function>> = { env, wasi_snapshot_preview1: wasi };
  for (const i of WebAssembly.Module.imports(mod)) {
    if (!imports[i.module]?.[i.name]) throw new Error(`bench stub host lacks ${i.module}.${i.name}`);
  }
  const inst = new WebAssembly.Instance(mod, imports as WebAssembly.Imports);
  exp = inst.exports as Record<string, any>;
  mem = exp.memory;
  exp._initialize?.();
  exp.proxy_on_context_create(1, 0);
  if (!exp.proxy_on_vm_start(1, 0) || !exp.proxy_on_configure(1, config.length)) throw new Error('configuration refused');
  const prepare = (key: string | null, authority = 'app.svc:8080') => {
    if (stub === 'thin') {
      thinKey = key === null ? null : bytesOf(key);
      thinAuthority = bytesOf(authority);
      return;
    }
    request.clear();
    request.set(':authority', authority);
    request.set(':path', '/hello');
    if (key !== null) request.set('x-env', key);
    response.clear();
  };
  return {
    exports: exp, memoryBytes: () => mem.buffer.byteLength, hostCalls: () => calls, prepare,
    get counters() { return new Map(names.map((name, id) => [name, counts[id] ?? 0])); },
    rootId: () => rootId,
    tableBytes: () => Number(/\((\d+) bytes of rules\)/.exec(lastLog)?.[1] ?? NaN),
    reconfigure: () => {
      const next = rootId + 1_000_000;
      exp.proxy_on_context_create(next, 0);
      if (!exp.proxy_on_configure(next, config.length)) throw new Error('reconfiguration refused');
      exp.proxy_on_done(rootId);
      exp.proxy_on_delete(rootId);
      rootId = next;
    },
  };
}

function config(rules: number): string {
  const routes = [];
  for (let i = 0; i < rules; i++) {
    routes.push({ name: `sb-${i}`, keys: [`sandbox-${i}`], destination: `sandbox-${i}.dev.svc:8080`, requestHeaders: { set: { 'x-sandbox': `sb-${i}` } } });
  }
  return JSON.stringify({ key: 'x-env', routes, default: { destination: 'baseline.svc:8080' }, decisionHeader: 'x-routekey-route' });
}

/**
 * ns per request over `n` requests, one figure per round of `rounds`: each request is what Envoy
 * calls per stream (context create, request headers, response headers, log, done, delete), its
 * headers set up first by `prepare(i)`. Context ids start at `firstId`.
 */
export function timeRequests(l: Loaded, n: number, firstId: number, rounds: number, prepare: (i: number) => void): number[] {
  const e = l.exports;
  const out: number[] = [];
  let id = firstId;
  for (let run = 0; run < rounds; run++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++, id++) {
      prepare(i);
      e.proxy_on_context_create(id, l.rootId());
      e.proxy_on_request_headers(id, 3, 1);
      e.proxy_on_response_headers(id, 1, 1);
      e.proxy_on_log(id);
      e.proxy_on_done(id);
      e.proxy_on_delete(id);
    }
    out.push(Number(process.hrtime.bigint() - start) / n);
  }
  return out;
}

/** A third of the requests match a route, a third miss, a third have no key. */
function drive(l: Loaded, rules: number, n: number, firstId: number, rounds = ROUNDS): number[] {
  const keys: Array<string | null> = [];
  for (let i = 0; i < 64; i++) keys.push(`sandbox-${(i * 7919) % rules}`);
  return timeRequests(l, n, firstId, rounds, (i) => {
    const k = i % 3;
    l.prepare(k === 0 ? keys[i & 63]! : k === 1 ? 'nobody' : null);
  });
}

/** A module that exports what Envoy calls and does nothing: the baseline driven the same way. */
export async function noopModule(): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await wabtInit();
  const wat = `(module
    (memory (export "memory") 1)
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) i32.const 1024)
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
    (func (export "proxy_on_configure") (param i32 i32) (result i32) i32.const 1)
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) i32.const 0)
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) i32.const 0)
    (func (export "proxy_on_log") (param i32))
    (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
    (func (export "proxy_on_delete") (param i32)))`;
  return new Uint8Array(wabt.parseWat('noop.wat', wat).toBinary({}).buffer);
}

/**
 * A module that makes the host calls routekey makes for drive()'s requests and nothing else: per
 * request it reads x-env and sets :authority, every third request (the routed ones) sets one more
 * header, and the response gets the decision header — 3.33 calls, as routekey. Driven the same
 * way, routekey's figure minus this one is the filter's own work: the guest's time, host calls
 * replayed rather than removed.
 */
export async function replayModule(): Promise<Uint8Array<ArrayBuffer>> {
  const wabt = await wabtInit();
  const wat = `(module
    (import "env" "proxy_get_header_map_value" (func $get (param i32 i32 i32 i32 i32) (result i32)))
    (import "env" "proxy_replace_header_map_value" (func $replace (param i32 i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "x-env")
    (data (i32.const 16) ":authority")
    (data (i32.const 32) "x-sandbox")
    (data (i32.const 48) "x-routekey-route")
    (data (i32.const 80) "sandbox-1.dev.svc:8080")
    (data (i32.const 112) "sb-1")
    (global $n (mut i32) (i32.const 0))
    (func (export "proxy_abi_version_0_2_1"))
    (func (export "malloc") (param i32) (result i32) i32.const 1024)
    (func (export "proxy_on_context_create") (param i32 i32))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) i32.const 1)
    (func (export "proxy_on_configure") (param i32 i32) (result i32) i32.const 1)
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $get (i32.const 0) (i32.const 0) (i32.const 5) (i32.const 512) (i32.const 516)))
      (drop (call $replace (i32.const 0) (i32.const 16) (i32.const 10) (i32.const 80) (i32.const 22)))
      (global.set $n (i32.add (global.get $n) (i32.const 1)))
      (if (i32.eqz (i32.rem_u (global.get $n) (i32.const 3)))
        (then (drop (call $replace (i32.const 0) (i32.const 32) (i32.const 9) (i32.const 112) (i32.const 4)))))
      i32.const 0)
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
      (drop (call $replace (i32.const 2) (i32.const 48) (i32.const 16) (i32.const 112) (i32.const 4)))
      i32.const 0)
    (func (export "proxy_on_log") (param i32))
    (func (export "proxy_on_done") (param i32) (result i32) i32.const 1)
    (func (export "proxy_on_delete") (param i32)))`;
  return new Uint8Array(wabt.parseWat('replay.wat', wat).toBinary({}).buffer);
}

export const WASM_PATH = WASM;

/** A full JS collection when node runs with --expose-gc (npm run bench does). */
export const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** The rows: the no-op module, then routekey at 1, 1 000 and 100 000 rules. ns_* are medians
 *  over ROUNDS rounds, *_spread the max − min of those rounds; the headline is ns_maps_stub
 *  (real header maps) against the no-op module's ns_maps_stub, as maps_over_noop_ns. guest_ns is
 *  routekey's thin-stub time over replayModule's (the no-op row's replay_ns_thin_stub). */
export async function perRequestRows(): Promise<Array<Record<string, number | string>>> {
  if (!fs.existsSync(WASM)) throw new Error(`${WASM} is missing: run npm run build`);
  const filter = new Uint8Array(fs.readFileSync(WASM));
  const rows: Array<Record<string, number | string>> = [];
  const noopBytes = await noopModule();
  const noopRow: Record<string, number | string> = { module: 'no-op module', rules: 0 };
  let noopMaps = 0;
  for (const stub of ['thin', 'maps'] as const) {
    const noop = load(noopBytes, '{}', stub);
    drive(noop, 1, WARMUP, 10, 1);
    gc();
    const s = summary(drive(noop, 1, REQUESTS, 10 + WARMUP));
    noopRow[`ns_${stub}_stub`] = s.median;
    noopRow[`ns_${stub}_spread`] = s.spread;
    if (stub === 'maps') { noopMaps = s.median; Object.assign(noopRow, { maps_over_noop_ns: 0, host_calls: 0, configure_ms: 0, memory_kib: noop.memoryBytes() / 1024, growth_kib: 0, table_bytes: 0, after_reconfigure_kib: noop.memoryBytes() / 1024 }); }
  }
  // The same host calls as routekey's, from a module that does nothing else (thin stub: their
  // cost is the calls themselves, not header maps).
  const replay = load(await replayModule(), '{}', 'thin');
  drive(replay, 1, WARMUP, 10, 1);
  gc();
  const replayCallsBefore = replay.hostCalls();
  const r = summary(drive(replay, 1, REQUESTS, 10 + WARMUP));
  noopRow.replay_ns_thin_stub = r.median;
  noopRow.replay_ns_thin_spread = r.spread;
  noopRow.replay_host_calls = Number(((replay.hostCalls() - replayCallsBefore) / (ROUNDS * REQUESTS)).toFixed(2));
  rows.push(noopRow);

  for (const rules of [1, 1_000, 100_000]) {
    const json = config(rules);
    const row: Record<string, number | string> = { module: 'routekey', rules };
    for (const stub of ['thin', 'maps'] as const) {
      const t0 = process.hrtime.bigint();
      const l = load(filter, json, stub);
      const configureMs = Number(process.hrtime.bigint() - t0) / 1e6;
      drive(l, rules, WARMUP, 10, 1);
      // Start from a clean JS heap (run with --expose-gc): building the 13 MB configuration
      // leaves garbage that V8 would otherwise collect inside the timed loop.
      gc();
      const before = l.memoryBytes();
      const callsBefore = l.hostCalls();
      const s = summary(drive(l, rules, REQUESTS, 10 + WARMUP));
      const callsAfter = l.hostCalls();
      // Counts are batched in the VM and flushed on the tick: one tick, then read them.
      l.exports.proxy_on_tick(l.rootId());
      const counters = l.counters;
      const routed = [...counters].filter(([k]) => k.startsWith('routekey.routed.')).reduce((a, [, v]) => a + v, 0);
      if (routed === 0 || !counters.get('routekey.default')) throw new Error('the filter routed nothing: the benchmark is not measuring routing');
      row[`ns_${stub}_stub`] = s.median;
      row[`ns_${stub}_spread`] = s.spread;
      // The filter's own work: its time over the replay of its host calls.
      if (stub === 'thin') row.guest_ns = s.median - r.median;
      if (stub === 'maps') {
        Object.assign(row, {
          maps_over_noop_ns: s.median - noopMaps,
          host_calls: Number(((callsAfter - callsBefore) / (ROUNDS * REQUESTS)).toFixed(2)),
          configure_ms: Math.round(configureMs), config_bytes: json.length,
          memory_kib: l.memoryBytes() / 1024, growth_kib: (l.memoryBytes() - before) / 1024,
          table_bytes: l.tableBytes(),
        });
        l.reconfigure();
        row.after_reconfigure_kib = l.memoryBytes() / 1024;
      }
    }
    rows.push(row);
  }
  return rows;
}
