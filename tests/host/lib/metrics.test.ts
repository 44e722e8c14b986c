// Metrics: `wasmcustom.<name>`, shared by the plugin's workers, Envoy's per-type rules.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guest, Strings } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const NOT_FOUND = 1;
const BAD_ARGUMENT = 2;

test('define/increment/record/get follow Envoy: counters only grow, histograms cannot be read', async () => {
  const s = new Strings();
  const body = `
    (global $c (mut i32) (i32.const 0))
    (global $g (mut i32) (i32.const 0))
    (global $h (mut i32) (i32.const 0))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $proxy_define_metric (i32.const 0) ${s.ref('routekey.requests')} (i32.const 300)))
      (global.set $c (i32.load (i32.const 300)))
      (drop (call $proxy_define_metric (i32.const 1) ${s.ref('routekey.rules')} (i32.const 300)))
      (global.set $g (i32.load (i32.const 300)))
      (drop (call $proxy_define_metric (i32.const 2) ${s.ref('routekey.latency')} (i32.const 300)))
      (global.set $h (i32.load (i32.const 300)))
      (drop (call $proxy_define_metric (i32.const 3) ${s.ref('bad.type')} (i32.const 300)))
      (i32.const 1))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_increment_metric (global.get $c) (i64.const 1)))
      (drop (call $proxy_increment_metric (global.get $c) (i64.const 0)))
      (drop (call $proxy_increment_metric (global.get $c) (i64.const -1)))
      (drop (call $proxy_record_metric (global.get $c) (i64.const 2)))
      (drop (call $proxy_record_metric (global.get $g) (i64.const 7)))
      (drop (call $proxy_increment_metric (global.get $g) (i64.const -2)))
      (drop (call $proxy_record_metric (global.get $h) (i64.const 12)))
      (drop (call $proxy_increment_metric (global.get $h) (i64.const 1)))
      (drop (call $proxy_get_metric (global.get $c) (i32.const 320)))
      (call $log_u32 (i32.load (i32.const 320)))
      (drop (call $proxy_get_metric (global.get $h) (i32.const 320)))
      (drop (call $proxy_get_metric (i32.const 4000) (i32.const 320)))
      (drop (call $proxy_increment_metric (i32.const 4000) (i64.const 1)))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }), { workers: 2 });
  p.createStream().onRequestHeaders([[':path', '/']], true);
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(results(p, 'proxy_define_metric', 'worker-1'), [OK, OK, OK, BAD_ARGUMENT]);
  assert.deepEqual(results(p, 'proxy_increment_metric', 'worker-1'), [OK, BAD_ARGUMENT, BAD_ARGUMENT, OK, BAD_ARGUMENT, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_record_metric', 'worker-1'), [OK, OK, OK]);
  assert.deepEqual(results(p, 'proxy_get_metric', 'worker-1'), [OK, BAD_ARGUMENT, NOT_FOUND]);
  // worker-1 saw 1+2; worker-2 then saw the shared counter at 3 and added 3 more.
  assert.deepEqual(messages(p), ['3', '6']);
  const byName = Object.fromEntries(p.metrics().map((m) => [m.name, m]));
  assert.deepEqual(Object.keys(byName).sort(), ['wasmcustom.routekey.latency', 'wasmcustom.routekey.requests', 'wasmcustom.routekey.rules']);
  assert.equal(byName['wasmcustom.routekey.requests']!.type, 'counter');
  assert.equal(byName['wasmcustom.routekey.requests']!.value, 6);
  assert.equal(byName['wasmcustom.routekey.rules']!.value, 5);
  assert.equal(byName['wasmcustom.routekey.latency']!.value, 2);
  assert.deepEqual(byName['wasmcustom.routekey.latency']!.samples, [12, 12]);
  await p.close();
});
