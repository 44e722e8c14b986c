// Traps fail the VM; the failure policy decides what this and later streams get.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FailurePolicy } from '../../../host/lib/api.ts';
import { guest, Strings } from '../wat.ts';
import { messages, start } from '../harness.ts';

async function trapModule(): Promise<Uint8Array> {
  const s = new Strings();
  const has = (name: string) =>
    `(i32.eqz (call $proxy_get_header_map_value (i32.const 0) ${s.ref(name)} (i32.const 256) (i32.const 260)))`;
  return guest({
    strings: s,
    extraImports: ['(import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))'],
    body: `
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $proxy_set_tick_period_milliseconds (i32.const 60000))) (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (if ${has('x-trap')} (then unreachable))
        (if ${has('x-trap-late')}
          (then (drop (call $proxy_replace_header_map_value (i32.const 0) ${s.ref(':authority')} ${s.ref('rewritten.example')}))
                unreachable))
        (if ${has('x-exit')} (then (call $proc_exit (i32.const 1)) unreachable))
        (if ${has('x-pause')} (then (return (i32.const 1))))
        (call $log_str ${s.ref('ran')})
        (i32.const 0))
      (func (export "proxy_on_request_body") (param i32 i32 i32) (result i32)
        (drop (call $proxy_set_buffer_bytes (i32.const 0) (i32.const 0) (i32.const 0) ${s.ref('prefix:')}))
        unreachable)
      (func (export "proxy_on_tick") (param i32) unreachable)`,
  });
}

async function scenario(policy: FailurePolicy) {
  const p = await start(await trapModule(), { failurePolicy: policy, workers: 1 });
  const ok = p.createStream().onRequestHeaders([[':path', '/']], true);
  const trapping = p.createStream();
  const trapped = trapping.onRequestHeaders([[':path', '/'], ['x-trap', '1']], true);
  const later = p.createStream().onRequestHeaders([[':path', '/later'], ['Host', 'a.example']], true);
  return { p, ok, trapping, trapped, later };
}

test('fail_closed: the trapping stream and every later one get 503 wasm_fail_stream', async () => {
  const { p, ok, trapping, trapped, later } = await scenario('fail_closed');
  assert.equal(ok.action, 'continue');
  assert.equal(trapped.action, 'failed');
  assert.equal(trapped.localReply?.status, 503);
  assert.equal(trapped.localReply?.details, 'wasm_fail_stream');
  assert.match(trapping.failure ?? '', /proxy_on_request_headers.*unreachable/);
  assert.equal(later.action, 'failed');
  assert.equal(later.localReply?.status, 503);
  assert.deepEqual(messages(p), ['ran']);
  assert.equal(p.failures().length, 1);
  assert.equal(p.failures()[0]!.vm, 'worker-1');
  await p.close();
});

test('fail_open: the trapping stream continues without a reply (CHECK_FAIL_HTTP), later streams skip the filter', async () => {
  const { p, trapping, trapped, later } = await scenario('fail_open');
  assert.equal(trapped.action, 'skipped');
  assert.equal(trapped.localReply, undefined);
  assert.deepEqual(trapped.headers, [[':path', '/'], ['x-trap', '1']]);
  assert.match(trapping.failure ?? '', /unreachable/);
  assert.equal(later.action, 'skipped');
  assert.deepEqual(later.headers, [[':path', '/later'], [':authority', 'a.example']]);
  assert.deepEqual(messages(p), ['ran']);
  await p.close();
});

test('fail_open: changes made before the trap stay, as Envoy continues with the map as it is', async () => {
  const p = await start(await trapModule(), { failurePolicy: 'fail_open', workers: 1 });
  const out = p.createStream().onRequestHeaders([[':path', '/'], [':authority', 'orig.example'], ['x-trap-late', '1']], true);
  assert.equal(out.action, 'skipped');
  assert.deepEqual(out.headers, [[':path', '/'], [':authority', 'rewritten.example'], ['x-trap-late', '1']]);
  assert.equal(out.routeCacheCleared, true);
  await p.close();
});

test('a trap in a body callback: fail_open passes the buffer on as it is, fail_closed answers 503', async () => {
  const enc = new TextEncoder();
  const open = await start(await trapModule(), { failurePolicy: 'fail_open', workers: 1 });
  const s1 = open.createStream();
  s1.onRequestHeaders([[':path', '/']], false);
  const b1 = s1.onRequestBody(enc.encode('data'), true);
  assert.equal(b1.action, 'skipped');
  assert.equal(new TextDecoder().decode(b1.body), 'prefix:data');
  assert.equal(b1.localReply, undefined);
  await open.close();

  const closed = await start(await trapModule(), { failurePolicy: 'fail_closed', workers: 1 });
  const s2 = closed.createStream();
  s2.onRequestHeaders([[':path', '/']], false);
  const b2 = s2.onRequestBody(enc.encode('data'), true);
  assert.equal(b2.action, 'failed');
  assert.equal(b2.localReply?.status, 503);
  assert.equal(b2.localReply?.details, 'wasm_fail_stream');
  await closed.close();
});

test('fail_reload: a fresh VM serves the later streams', async () => {
  const { p, trapped, later } = await scenario('fail_reload');
  assert.equal(trapped.localReply?.status, 503);
  assert.equal(later.action, 'continue');
  assert.deepEqual(p.logs.map((l) => [l.vm, l.message]), [['worker-1', 'ran'], ['worker-2', 'ran']]);
  assert.deepEqual(p.workerNames(), ['worker-2']);
  await p.close();
});

test('a trap in a root callback settles streams paused on that VM by the failure policy', async () => {
  for (const [policy, action, status] of [['fail_closed', 'failed', 503], ['fail_open', 'skipped', undefined]] as const) {
    const p = await start(await trapModule(), { workers: 1, failurePolicy: policy });
    const stream = p.createStream();
    assert.equal(stream.onRequestHeaders([['x-pause', '1']], true).action, 'stop');
    const resumed = stream.whenRequestResumed();
    p.fireTicks();
    const out = await resumed;
    assert.equal(out.action, action, policy);
    assert.equal(out.localReply?.status, status, policy);
    assert.match(p.failures()[0]!.message, /proxy_on_tick.*unreachable/);
    await p.close();
  }
});

test('proc_exit does not stop the guest: the unreachable after it fails the VM', async () => {
  const p = await start(await trapModule(), { workers: 1 });
  const stream = p.createStream();
  const out = stream.onRequestHeaders([['x-exit', '1']], true);
  assert.equal(out.action, 'failed');
  assert.match(stream.failure ?? '', /unreachable/);
  assert.ok(p.logs.some((l) => l.message === 'wasi_snapshot_preview1 proc_exit'));
  await p.close();
});
