// Module loading as Envoy does it: which modules are refused and why, and the start-up sequence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModuleRejectedError } from '../../../host/lib/index.ts';
import { ACCEPTING_ROOT, guest, Strings } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

async function rejection(wasm: Uint8Array): Promise<ModuleRejectedError> {
  try {
    const p = await start(wasm);
    await p.close();
  } catch (e) {
    assert.ok(e instanceof ModuleRejectedError, `expected ModuleRejectedError, got ${String(e)}`);
    return e;
  }
  assert.fail('module was accepted');
}

test('a module without an ABI version export is refused', async () => {
  const e = await rejection(await guest({ abi: null, body: ACCEPTING_ROOT }));
  assert.match(e.message, /Missing or unknown Proxy-Wasm ABI version/);
  assert.equal(e.vm, 'canary');
});

for (const [module, name, sig] of [
  ['env', 'abort', '(param i32 i32 i32 i32)'],
  ['env', 'seed', '(result f64)'],
  ['env', 'trace', '(param i32 i32 f64 f64 f64 f64 f64)'],
  ['env', 'Date.now', '(result f64)'],
  ['env', 'proxy_clear_route_cache', '(result i32)'],
  ['env', 'proxy_get_configuration', '(param i32 i32) (result i32)'],
  ['env', 'console.log', '(param i32)'],
] as const) {
  test(`an import Envoy lacks under ABI 0.2.1 is refused, naming it: ${module}.${name}`, async () => {
    const wasm = await guest({ body: ACCEPTING_ROOT, extraImports: [`(import "${module}" "${name}" (func ${sig}))`] });
    const e = await rejection(wasm);
    assert.equal(e.message, `Failed to load Wasm module due to a missing import: ${module}.${name}`);
  });
}

test('proxy_get_log_level is 0.2.1 only: a 0.2.0 module importing it is refused', async () => {
  const body = `${ACCEPTING_ROOT}
    (func (export "use") (result i32) (call $proxy_get_log_level (i32.const 0)))`;
  const e = await rejection(await guest({ abi: 'proxy_abi_version_0_2_0', body }));
  assert.match(e.message, /missing import: env\.proxy_get_log_level/);
  const ok = await start(await guest({ body }));
  await ok.close();
});

test('ABI 0.1.0 modules get proxy_clear_route_cache, 0.2.x do not', async () => {
  const extra = ['(import "env" "proxy_clear_route_cache" (func (result i32)))'];
  const p = await start(await guest({ abi: 'proxy_abi_version_0_1_0', body: ACCEPTING_ROOT, extraImports: extra }));
  await p.close();
  await rejection(await guest({ abi: 'proxy_abi_version_0_2_0', body: ACCEPTING_ROOT, extraImports: extra }));
});

test('WASI imports are provided under both wasi_snapshot_preview1 and wasi_unstable', async () => {
  const extra = ['wasi_snapshot_preview1', 'wasi_unstable'].flatMap((m) => [
    `(import "${m}" "fd_write" (func (param i32 i32 i32 i32) (result i32)))`,
    `(import "${m}" "clock_time_get" (func (param i32 i64 i32) (result i32)))`,
    `(import "${m}" "random_get" (func (param i32 i32) (result i32)))`,
    `(import "${m}" "proc_exit" (func (param i32)))`,
    `(import "${m}" "environ_sizes_get" (func (param i32 i32) (result i32)))`,
  ]);
  const p = await start(await guest({ body: ACCEPTING_ROOT, extraImports: extra }));
  await p.close();
  await rejection(await guest({
    body: ACCEPTING_ROOT, extraImports: ['(import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))'],
  }));
});

test('a module without malloc or proxy_on_memory_allocate is refused', async () => {
  const e = await rejection(await guest({ body: ACCEPTING_ROOT, malloc: 'none' }));
  assert.equal(e.message, 'Wasm module is missing malloc function.');
  const p = await start(await guest({ body: ACCEPTING_ROOT, malloc: 'proxy_on_memory_allocate' }));
  await p.close();
});

test('start-up runs _initialize then main, before any context exists', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "_initialize") (call $log_str ${s.ref('initialize')}))
    (func (export "main") (param i32 i32) (result i32) (call $log_str ${s.ref('main')}) (i32.const 0))
    (func (export "_start") (call $log_str ${s.ref('start')}))
    (func (export "proxy_on_context_create") (param i32 i32) (call $log_str ${s.ref('context')}))`;
  const p = await start(await guest({ body, strings: s }));
  assert.deepEqual(messages(p, 'worker-1'), ['initialize', 'main', 'context']);
  await p.close();
});

test('without _initialize, _start runs', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "_start") (call $log_str ${s.ref('start')}))`;
  const p = await start(await guest({ body, strings: s }));
  assert.deepEqual(messages(p, 'worker-1'), ['start']);
  await p.close();
});

test('during _initialize only logging, clocks, random and a few WASI calls are allowed', async () => {
  const s = new Strings();
  const allowed = `${ACCEPTING_ROOT}
    (func (export "_initialize") (call $log_str ${s.ref('hello')}))`;
  const p = await start(await guest({ body: allowed, strings: s }));
  assert.deepEqual(p.violations(), []);
  await p.close();

  const forbidden = `${ACCEPTING_ROOT}
    (func (export "_initialize")
      (drop (call $proxy_get_property ${s.ref('plugin_root_id')} (i32.const 256) (i32.const 260))))`;
  const e = await rejection(await guest({ body: forbidden, strings: s }));
  assert.match(e.message, /restricted_callback/);
});

test('a trap in _initialize refuses the module with the trap message', async () => {
  const e = await rejection(await guest({ body: `${ACCEPTING_ROOT} (func (export "_initialize") unreachable)` }));
  assert.match(e.message, /_initialize.*unreachable/);
});

test('malloc may only log: another host call from inside malloc traps the VM', async () => {
  const s = new Strings();
  // The module's allocator asks for a property: Envoy forbids that inside malloc.
  const body = `${ACCEPTING_ROOT}
    (func (export "malloc") (param $n i32) (result i32)
      (drop (call $proxy_get_current_time_nanoseconds (i32.const 300)))
      (call $alloc (local.get $n)))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref(':path')} (i32.const 256) (i32.const 260)))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s, malloc: 'none' }));
  const out = p.createStream().onRequestHeaders([[':path', '/x']], true);
  assert.equal(out.action, 'failed');
  assert.match(p.failures()[0]!.message, /restricted_callback/);
  assert.ok(p.violations().some((v) => v.kind === 'restricted' && v.callback === 'malloc'));
  assert.deepEqual(results(p, 'proxy_get_current_time_nanoseconds'), []);
  await p.close();
});
