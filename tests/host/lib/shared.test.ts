// Shared data (with CAS) and shared queues: per vm_id in one host process, across workers and the
// plugins started with that process; a plugin started without one has a private process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHostProcess } from '../../../host/lib/index.ts';
import { ACCEPTING_ROOT, guest, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const NOT_FOUND = 1;
const EMPTY = 7;
const CAS_MISMATCH = 8;

async function sharedDataModule(): Promise<Uint8Array> {
  const s = new Strings();
  const w = wat(s);
  const get = `(drop (call $proxy_get_shared_data ${s.ref('rules')} (i32.const 256) (i32.const 260) (i32.const 300)))`;
  const set = (value: string, cas: string) => `(drop (call $proxy_set_shared_data ${s.ref('rules')} ${s.ref(value)} ${cas}))`;
  return guest({
    strings: s,
    body: `${ACCEPTING_ROOT}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        (local $cas i32)
        (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-op')} (i32.const 256) (i32.const 260)))
        (if (i32.eq (i32.load8_u (i32.load (i32.const 256))) (i32.const 119)) ;; 'w'
          (then
            ${get}
            ${set('v1', '(i32.const 0)')}
            ${get}
            (local.set $cas (i32.load (i32.const 300)))
            ${set('v2', '(i32.add (local.get $cas) (i32.const 1))')}
            ${set('v2', '(local.get $cas)')}
            ${set('v3', '(local.get $cas)')}
            (return (i32.const 0))))
        (call $clear_slots) ${get} (call $log_slot)
        ${w.log('read')}
        (i32.const 0))`,
  });
}

test('shared data: NotFound, unconditional set, CAS mismatch, visible to every worker and plugin of the vm_id', async () => {
  const wasm = await sharedDataModule();
  const vmId = `shared-${process.pid}-${Date.now()}`;
  const proc = createHostProcess();
  const p = await start(wasm, { workers: 2, vmId, process: proc });
  p.createStream().onRequestHeaders([['x-op', 'w']], true);
  assert.deepEqual(results(p, 'proxy_get_shared_data', 'worker-1'), [NOT_FOUND, OK]);
  assert.deepEqual(results(p, 'proxy_set_shared_data', 'worker-1'), [OK, CAS_MISMATCH, OK, CAS_MISMATCH]);

  p.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(p, 'worker-2'), ['v2', 'read']);

  const sameVm = await start(wasm, { vmId, process: proc });
  sameVm.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(sameVm), ['v2', 'read']);

  const otherVm = await start(wasm, { vmId: `${vmId}-other`, process: proc });
  otherVm.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(otherVm), ['read']);
  assert.deepEqual(results(otherVm, 'proxy_get_shared_data'), [NOT_FOUND]);
  await Promise.all([p.close(), sameVm.close(), otherVm.close()]);
});

test('shared data: plugins of one vm_id share it only when started with the same process', async () => {
  const wasm = await sharedDataModule();
  const vmId = 'one-vm-id';
  const proc = createHostProcess();
  const writer = await start(wasm, { vmId, process: proc });
  writer.createStream().onRequestHeaders([['x-op', 'w']], true);

  const sameProcess = await start(wasm, { vmId, process: proc });
  sameProcess.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(sameProcess), ['v2', 'read']);

  const otherProcess = await start(wasm, { vmId, process: createHostProcess() });
  otherProcess.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(otherProcess), ['read']);
  assert.deepEqual(results(otherProcess, 'proxy_get_shared_data'), [NOT_FOUND]);

  const ownProcess = await start(wasm, { vmId });
  ownProcess.createStream().onRequestHeaders([['x-op', 'r']], true);
  assert.deepEqual(messages(ownProcess), ['read'], 'without a process a plugin gets a private one');
  assert.deepEqual(results(ownProcess, 'proxy_get_shared_data'), [NOT_FOUND]);
  await Promise.all([writer.close(), sameProcess.close(), otherProcess.close(), ownProcess.close()]);
});

/** Registers "updates" while configuring; each request enqueues "hello" on it; on_queue_ready drains. */
async function queueModule(vmId: string): Promise<Uint8Array> {
  const s = new Strings();
  const w = wat(s);
  const body = `
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $proxy_register_shared_queue ${s.ref('updates')} (i32.const 300)))
      (call $log_u32 (i32.load (i32.const 300)))
      (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_resolve_shared_queue ${s.ref(vmId)} ${s.ref('updates')} (i32.const 304)))
      (drop (call $proxy_resolve_shared_queue ${s.ref(vmId)} ${s.ref('nope')} (i32.const 308)))
      (drop (call $proxy_enqueue_shared_queue (i32.load (i32.const 304)) ${s.ref('hello')}))
      (drop (call $proxy_enqueue_shared_queue (i32.const 99999) ${s.ref('lost')}))
      (drop (call $proxy_dequeue_shared_queue (i32.const 99999) (i32.const 256) (i32.const 260)))
      (i32.const 0))
    (func (export "proxy_on_queue_ready") (param i32) (param $token i32)
      ${w.log('ready')}
      (call $clear_slots)
      (drop (call $proxy_dequeue_shared_queue (local.get $token) (i32.const 256) (i32.const 260)))
      (call $log_slot)
      (drop (call $proxy_dequeue_shared_queue (local.get $token) (i32.const 256) (i32.const 260))))`;
  return guest({ body, strings: s });
}

test('shared queues: same token per name, the last registrant gets on_queue_ready, Empty when drained', async () => {
  const vmId = `queues-${process.pid}-${Date.now()}`;
  const p = await start(await queueModule(vmId), { workers: 2, vmId });
  const tokens = messages(p);
  assert.equal(tokens.length, 3);
  assert.equal(new Set(tokens).size, 1, 'canary and both workers get the same token');

  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(results(p, 'proxy_resolve_shared_queue', 'worker-1'), [OK, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_enqueue_shared_queue', 'worker-1'), [OK, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_dequeue_shared_queue', 'worker-1'), [NOT_FOUND]);
  assert.deepEqual(messages(p).slice(3), [], 'delivery is asynchronous');
  await p.settle();
  assert.deepEqual(p.logs.slice(3).map((l) => [l.vm, l.message]), [['worker-2', 'ready'], ['worker-2', 'hello']]);
  assert.deepEqual(results(p, 'proxy_dequeue_shared_queue', 'worker-2'), [OK, EMPTY]);
  await p.close();
});

test('shared queues: a queue reaches the plugins of its own process only', async () => {
  const vmId = 'one-vm-id';
  const wasm = await queueModule(vmId);
  const proc = createHostProcess();
  const sender = await start(wasm, { vmId, process: proc });
  const lastRegistrant = await start(wasm, { vmId, process: proc });
  const elsewhere = await start(wasm, { vmId, process: createHostProcess() });
  sender.createStream().onRequestHeaders([[':path', '/']], true);
  await Promise.all([sender.settle(), lastRegistrant.settle(), elsewhere.settle()]);
  assert.deepEqual(messages(lastRegistrant).slice(2), ['ready', 'hello'], 'the same process: the last registrant is told');
  assert.deepEqual(messages(sender).slice(2), []);
  assert.deepEqual(messages(elsewhere).slice(2), [], 'another process never hears of it');

  elsewhere.createStream().onRequestHeaders([[':path', '/']], true);
  await elsewhere.settle();
  assert.deepEqual(messages(elsewhere).slice(2), ['ready', 'hello'], 'its own queue of the same name is separate');
  assert.deepEqual(messages(lastRegistrant).slice(2), ['ready', 'hello']);
  await Promise.all([sender.close(), lastRegistrant.close(), elsewhere.close()]);
});
