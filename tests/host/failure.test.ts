// Traps fail the VM; the failure policy decides what this and later streams get.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FailurePolicy } from '../../host/api.ts';
import { guest, Strings } from './wat.ts';
import { messages, start } from './harness.ts';

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
        (if ${has('x-exit')} (then (call $proc_exit (i32.const 1)) unreachable))
        (if ${has('x-pause')} (then (return (i32.const 1))))
        (call $log_str ${s.ref('ran')})
        (i32.const 0))
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

test('fail_open: the trapping stream fails without a reply, later streams skip the filter', async () => {
  const { p, trapped, later } = await scenario('fail_open');
  assert.equal(trapped.action, 'failed');
  assert.equal(trapped.localReply, undefined);
  assert.equal(later.action, 'skipped');
  assert.deepEqual(later.headers, [[':path', '/later'], [':authority', 'a.example']]);
  assert.deepEqual(messages(p), ['ran']);
  await p.close();
});

test('fail_reload: a fresh VM serves the later streams', async () => {
  const { p, trapped, later } = await scenario('fail_reload');
  assert.equal(trapped.localReply?.status, 503);
  assert.equal(later.action, 'continue');
  assert.deepEqual(p.logs.map((l) => [l.vm, l.message]), [['worker-1', 'ran'], ['worker-2', 'ran']]);
  assert.deepEqual(p.workerNames(), ['worker-2']);
  await p.close();
});

test('a trap in a root callback fails streams paused on that VM', async () => {
  const p = await start(await trapModule(), { workers: 1 });
  const stream = p.createStream();
  assert.equal(stream.onRequestHeaders([['x-pause', '1']], true).action, 'stop');
  const resumed = stream.whenRequestResumed();
  p.fireTicks();
  const out = await resumed;
  assert.equal(out.action, 'failed');
  assert.equal(out.localReply?.status, 503);
  assert.match(p.failures()[0]!.message, /proxy_on_tick.*unreachable/);
  await p.close();
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
