// Plugin lifecycle: the canary's configuration checks, configuration delivery and reconfiguration,
// log levels, round-robin worker VMs, workers: 0, bounded logs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigRejectedError } from '../../../host/lib/index.ts';
import { ACCEPTING_ROOT, guest, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const NOT_FOUND = 1;
const BAD_ARGUMENT = 2;

/** A root that logs its configuration and accepts it unless it starts with "bad". */
async function configModule(): Promise<Uint8Array> {
  const s = new Strings();
  const w = wat(s);
  return guest({
    strings: s,
    body: `
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param $root i32) (param $size i32) (result i32)
        ${w.logBuffer(7, 0, 1000)}
        (if (i32.eqz (local.get $size)) (then ${w.log('empty config')} (return (i32.const 1))))
        (if (i32.eq (i32.load8_u (i32.load (i32.const 256))) (i32.const 98))
          (then ${w.log('refusing')} (return (i32.const 0))))
        (i32.const 1))
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
        ${w.logBuffer(7, 0, 10)}
        (i32.const 0))`,
  });
}

test('the canary refuses a configuration on_configure rejects, with the guest logs', async () => {
  const wasm = await configModule();
  await assert.rejects(start(wasm, { configuration: 'bad config' }), (e: unknown) => {
    assert.ok(e instanceof ConfigRejectedError);
    assert.equal(e.name, 'ConfigRejectedError');
    assert.deepEqual(e.logs.map((l) => [l.vm, l.message]), [['canary', 'bad config'], ['canary', 'refusing']]);
    return true;
  });
});

test('configuration: readable only in on_configure, size 0 when empty, reconfigure keeps the old one on refusal', async () => {
  const wasm = await configModule();
  const p = await start(wasm, { configuration: '{"a":1}', workers: 2 });
  assert.deepEqual(messages(p), ['{"a":1}', '{"a":1}', '{"a":1}']);
  assert.deepEqual(p.logs.map((l) => l.vm), ['canary', 'worker-1', 'worker-2']);

  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(results(p, 'proxy_get_buffer_bytes', 'worker-1'), [OK, NOT_FOUND]);
  assert.deepEqual(p.violations().map((v) => [v.kind, v.callback]), [
    ['read-past-end', 'proxy_on_configure'], ['read-past-end', 'proxy_on_configure'],
    ['read-past-end', 'proxy_on_configure'], ['wrong-phase', 'proxy_on_request_headers'],
  ]);

  await assert.rejects(p.reconfigure('bad'), ConfigRejectedError);
  const before = p.logs.length;
  await p.reconfigure('');
  assert.deepEqual(messages(p).slice(before), ['empty config', 'empty config', 'empty config']);
  await p.close();

  const empty = await start(wasm);
  assert.deepEqual(messages(empty), ['empty config', 'empty config']);
  await empty.close();
});

test('a trap in on_configure rejects the configuration', async () => {
  const body = `
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) unreachable)`;
  await assert.rejects(start(await guest({ body })), (e: unknown) => {
    assert.ok(e instanceof ConfigRejectedError);
    assert.match(e.message, /unreachable/);
    return true;
  });
});

test('on_vm_start returning false rejects too; plugin_root_id/name/vm_id are answered in the root', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `
    (func (export "proxy_on_context_create") (param i32 i32)
      ${w.logProperty(['plugin_root_id'])} ${w.logProperty(['plugin_name'])} ${w.logProperty(['plugin_vm_id'])})
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 0))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))`;
  await assert.rejects(start(await guest({ body, strings: s }), { rootId: 'rk', name: 'filter', vmId: 'vmx' }), (e: unknown) => {
    assert.ok(e instanceof ConfigRejectedError);
    assert.deepEqual(e.logs.map((l) => l.message), ['rk', 'filter', 'vmx']);
    return true;
  });
});

test('log levels: proxy_get_log_level reports the host level, lines below it are dropped, bad levels refused', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_get_log_level (i32.const 300)))
      (call $log_u32 (i32.load (i32.const 300)))
      (drop (call $proxy_define_metric (i32.const 1) ${s.ref('level')} (i32.const 304)))
      (drop (call $proxy_record_metric (i32.load (i32.const 304)) (i64.extend_i32_u (i32.load (i32.const 300)))))
      (drop (call $proxy_log (i32.const 1) ${s.ref('debug line')}))
      (drop (call $proxy_log (i32.const 5) ${s.ref('critical line')}))
      (drop (call $proxy_log (i32.const 6) ${s.ref('no such level')}))
      (i32.const 0))`;
  const seen: string[] = [];
  const p = await start(await guest({ body, strings: s }), { logLevel: 'warn', onLog: (e) => seen.push(`${e.level}:${e.message}`) });
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(seen, ['critical:critical line']);
  p.setLogLevel('trace');
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(seen.slice(1), ['info:0', 'debug:debug line', 'critical:critical line']);
  assert.deepEqual(results(p, 'proxy_log').filter((r) => r !== OK), [BAD_ARGUMENT, BAD_ARGUMENT]);
  // off (Envoy's spdlog level 6): the guest reads 6 and nothing is kept, not even critical.
  const kept = p.logs.length;
  p.setLogLevel('off');
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.equal(seen.length, 4);
  assert.equal(p.logs.length, kept);
  assert.equal(p.metrics().find((m) => m.name === 'wasmcustom.level')?.value, 6);
  await p.close();
});

test('streams go round-robin over the worker VMs, each with its own root context', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (call $log_str ${s.ref('hit')}) (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }), { workers: 3 });
  for (let i = 0; i < 6; i++) p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(p.logs.map((l) => l.vm), ['worker-1', 'worker-2', 'worker-3', 'worker-1', 'worker-2', 'worker-3']);
  assert.deepEqual(p.workerNames(), ['worker-1', 'worker-2', 'worker-3']);
  await p.close();
});

test('workers: 0 checks the configuration only; createStream says why it cannot', async () => {
  const p = await start(await configModule(), { workers: 0, configuration: '{}' });
  assert.deepEqual(p.workerNames(), []);
  assert.throws(() => p.createStream(), /^Error: plugin has no worker VMs \(workers: 0\)$/);
  await p.close();
});

test('logs keep the newest 10 000 lines', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (local $i i32)
      (loop $more
        (call $log_u32 (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $more (i32.lt_u (local.get $i) (i32.const 12000))))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }), { recordHostCalls: false });
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.ok(p.logs.length >= 10_000 && p.logs.length <= 11_000, String(p.logs.length));
  assert.equal(p.logs.at(-1)!.message, '11999');
  assert.equal(Number(p.logs[0]!.message), 12_000 - p.logs.length);
  await p.close();
});
