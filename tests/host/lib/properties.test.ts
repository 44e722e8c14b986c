// proxy_get_property / proxy_set_property: NUL-separated paths, raw strings, 8-byte LE integers,
// request.* derived from the stream's headers, plugin_* in every context, NotFound otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCEPTING_ROOT, guest, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const NOT_FOUND = 1;

test('stream properties, request.* from the headers, plugin_* and NotFound', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${w.logProperty(['source', 'address'])}
      ${w.logProperty(['request', 'path'])}
      ${w.logProperty(['request', 'host'])}
      ${w.logProperty(['request', 'method'])}
      ${w.logProperty(['request', 'headers', 'x-user'])}
      ${w.logProperty(['plugin_root_id'])}
      ${w.logProperty(['node', 'id'])}
      ${w.logProperty(['no', 'such', 'thing'])}
      ${w.logProperty(['request.path'])}
      (drop (call $proxy_get_property ${s.ref('connection\0id')} (i32.const 256) (i32.const 260)))
      (call $log_u32 (i32.load (i32.const 260)))
      (call $log_u32 (i32.load (i32.load (i32.const 256))))
      (drop (call $proxy_set_property ${s.ref('my\0prop')} ${s.ref('v1')}))
      ${w.logProperty(['my', 'prop'])}
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }), { rootId: 'rk', properties: { 'node.id': 'sidecar~1' } });
  p.createStream({ 'source.address': '10.0.0.1:5000', 'connection.id': 42 })
    .onRequestHeaders([[':method', 'GET'], [':path', '/x?y=1'], ['host', 'svc.local'], ['X-User', 'ann']], true);
  assert.deepEqual(messages(p), ['10.0.0.1:5000', '/x?y=1', 'svc.local', 'GET', 'ann', 'rk', 'sidecar~1', '8', '42', 'v1']);
  assert.deepEqual(results(p, 'proxy_get_property'), [OK, OK, OK, OK, OK, OK, OK, NOT_FOUND, NOT_FOUND, OK, OK]);
  assert.deepEqual(results(p, 'proxy_set_property'), [OK]);
  await p.close();
});

test('in the root context only plugin-wide properties exist; set_property is NotFound there', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      ${w.logProperty(['plugin_name'])}
      ${w.logProperty(['plugin_vm_id'])}
      ${w.logProperty(['request', 'path'])}
      (drop (call $proxy_set_property ${s.ref('a')} ${s.ref('b')}))
      (i32.const 1))`;
  const p = await start(await guest({ body, strings: s }), { rootId: 'rk', name: 'routekey-filter', vmId: '' });
  assert.deepEqual(messages(p, 'worker-1'), ['routekey-filter', '']);
  assert.deepEqual(results(p, 'proxy_get_property', 'worker-1'), [OK, OK, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_set_property', 'worker-1'), [NOT_FOUND]);
  await p.close();
});

test('request.* follows the live headers: a rewrite is seen; request.useragent, no request.user_agent', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${w.logProperty(['request', 'host'])}
      ${w.replaceHeader(0, ':authority', 'rewritten.svc')}
      ${w.replaceHeader(0, ':path', '/new?q=2')}
      ${w.logProperty(['request', 'host'])}
      ${w.logProperty(['request', 'path'])}
      ${w.logProperty(['request', 'url_path'])}
      ${w.logProperty(['request', 'query'])}
      ${w.logProperty(['request', 'useragent'])}
      ${w.logProperty(['request', 'user_agent'])}
      ${w.logProperty(['request', 'protocol'])}
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  p.createStream({ 'request.protocol': 'HTTP/1.1' })
    .onRequestHeaders([[':path', '/old'], [':authority', 'orig.svc'], ['user-agent', 'curl/8']], true);
  assert.deepEqual(messages(p), ['orig.svc', 'rewritten.svc', '/new?q=2', '/new', 'q=2', 'curl/8', 'HTTP/1.1']);
  await p.close();
});
