// Stream lifecycle: callback order, header callback return values, local replies, continue_stream,
// effective contexts, request body buffering.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACCEPTING_ROOT, guest, pairs, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const BAD_ARGUMENT = 2;

test('callback order: context_create, request/response headers, on_log, on_done, on_delete; root id passed', async () => {
  const s = new Strings();
  const w = wat(s);
  const cb = (name: string, params: string, result: string) =>
    `(func (export "proxy_on_${name}") ${params} ${result ? `(result i32)` : ''} ${w.log(name)} ${result})`;
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_context_create") (param $id i32) (param $root i32)
      ${w.log('create')} (call $log_u32 (local.get $id)) (call $log_u32 (local.get $root)))
    ${cb('request_headers', '(param i32 i32 i32)', '(i32.const 0)')}
    ${cb('request_body', '(param i32 i32 i32)', '(i32.const 0)')}
    ${cb('response_headers', '(param i32 i32 i32)', '(i32.const 0)')}
    ${cb('log', '(param i32)', '')}
    ${cb('done', '(param i32)', '(i32.const 1)')}
    ${cb('delete', '(param i32)', '')}`;
  const p = await start(await guest({ body, strings: s }));
  const before = p.logs.length;
  const stream = p.createStream();
  stream.onRequestHeaders([[':path', '/']], false);
  assert.equal(stream.onRequestBody(new TextEncoder().encode('hi'), true).action, 'continue');
  stream.onResponseHeaders([[':status', '200']], true);
  stream.complete();
  stream.complete();
  assert.deepEqual(messages(p).slice(before), [
    'create', String(stream.contextId), '1', 'request_headers', 'request_body', 'response_headers', 'log', 'done', 'delete',
  ]);
  await p.close();
});

test('header callback return values 0..4 map to continue/stop', async () => {
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_get_header_map_value (i32.const 0) (i32.const 1024) (i32.const 8) (i32.const 256) (i32.const 260)))
      (i32.sub (i32.load8_u (i32.load (i32.const 256))) (i32.const 48)))
    (data (i32.const 1024) "x-status")`;
  const p = await start(await guest({ body }));
  const actions = ['0', '1', '2', '3', '4'].map((v) => {
    const o = p.createStream().onRequestHeaders([['x-status', v]], true);
    return [o.status, o.action];
  });
  assert.deepEqual(actions, [[0, 'continue'], [1, 'stop'], [2, 'continue'], [3, 'stop'], [4, 'stop']]);
  assert.deepEqual(p.violations(), []);
  await p.close();
});

test('proxy_send_local_response: the callback counts as stopped and the outcome carries the reply', async () => {
  const s = new Strings();
  const hdrs = pairs([['x-why', 'no']]);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_send_local_response (i32.const 403) ${s.ref('denied_by_test')} ${s.ref('go away')}
        ${s.ref(hdrs)} (i32.const -1)))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  const stream = p.createStream();
  const out = stream.onRequestHeaders([[':path', '/']], true);
  assert.equal(out.action, 'localReply');
  assert.equal(out.localReply?.status, 403);
  assert.equal(out.localReply?.details, 'denied_by_test');
  assert.equal(new TextDecoder().decode(out.localReply?.body), 'go away');
  assert.deepEqual(out.localReply?.headers, [['x-why', 'no']]);
  assert.equal(out.localReply?.grpcStatus, -1);
  assert.equal((await stream.whenRequestResumed()).action, 'localReply');
  await p.close();
});

test('continue_stream inside on_request_headers is a violation; set_effective_context on a finished stream is BadArgument', async () => {
  const s = new Strings();
  const body = `
    (global $sid (mut i32) (i32.const 0))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $proxy_set_tick_period_milliseconds (i32.const 60000))) (i32.const 1))
    (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
      (global.set $sid (local.get $ctx))
      (drop (call $proxy_continue_stream (i32.const 0)))
      (drop (call $proxy_continue_stream (i32.const 9)))
      (i32.const 0))
    (func (export "proxy_on_tick") (param i32)
      (drop (call $proxy_set_effective_context (global.get $sid))))`;
  const p = await start(await guest({ body, strings: s }));
  const stream = p.createStream();
  stream.onRequestHeaders([[':path', '/']], true);
  p.fireTicks();
  stream.complete();
  p.fireTicks();
  assert.deepEqual(results(p, 'proxy_continue_stream'), [OK, BAD_ARGUMENT]);
  assert.deepEqual(results(p, 'proxy_set_effective_context'), [OK, BAD_ARGUMENT]);
  assert.ok(p.violations().some((v) => v.kind === 'wrong-phase' && v.call === 'proxy_continue_stream'));
  await p.close();
});

test('request body: buffered while the filter returns StopIterationAndBuffer; reading past the end is flagged', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_body") (param i32) (param $size i32) (param $eos i32) (result i32)
      ${w.logBuffer(0, 0, 100)}
      (if (local.get $eos) (then (return (i32.const 0))))
      (i32.const 1))`;
  const p = await start(await guest({ body, strings: s }));
  const stream = p.createStream();
  stream.onRequestHeaders([[':path', '/']], false);
  const enc = new TextEncoder();
  assert.equal(stream.onRequestBody(enc.encode('abc'), false).action, 'stop');
  const last = stream.onRequestBody(enc.encode('def'), true);
  assert.equal(last.action, 'continue');
  assert.equal(new TextDecoder().decode(last.body), 'abcdef');
  assert.deepEqual(messages(p), ['abc', 'abcdef']);
  assert.deepEqual(p.violations().map((v) => v.kind), ['read-past-end', 'read-past-end']);
  await p.close();
});

test('a second proxy_send_local_response in one stream answers Ok and is dropped: Envoy sends the first', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_send_local_response (i32.const 403) ${s.ref('first reply')} ${s.ref('one')} (i32.const 0) (i32.const 0) (i32.const -1)))
      (drop (call $proxy_send_local_response (i32.const 500) ${s.ref('second')} ${s.ref('two')} (i32.const 0) (i32.const 0) (i32.const -1)))
      (i32.const 1))`;
  const p = await start(await guest({ body, strings: s }));
  const out = p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.equal(out.action, 'localReply');
  assert.equal(out.localReply?.status, 403);
  assert.equal(out.localReply?.details, 'first_reply', 'whitespace in details becomes _, as in Envoy');
  assert.equal(new TextDecoder().decode(out.localReply?.body), 'one');
  assert.deepEqual(results(p, 'proxy_send_local_response'), [OK, OK]);
  assert.deepEqual(p.violations().map((v) => [v.kind, v.call]), [['bad-argument', 'proxy_send_local_response']]);
  await p.close();
});

test('proxy_set_effective_context(0) is Ok: id 0 is the VM context, which resets to the caller (cpp-host)', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_set_effective_context (i32.const 0)))
      ${w.logHeader(0, ':path')}
      (drop (call $proxy_set_effective_context (i32.const 999)))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  p.createStream().onRequestHeaders([[':path', '/still-mine']], true);
  assert.deepEqual(results(p, 'proxy_set_effective_context'), [OK, BAD_ARGUMENT]);
  assert.deepEqual(messages(p), ['/still-mine']);
  await p.close();
});
