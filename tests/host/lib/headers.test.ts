// Header maps: Envoy's key handling, value semantics, availability windows, route-cache clearing
// and the serialized pairs format with its limits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePairs } from '../../../host/lib/index.ts';
import { ACCEPTING_ROOT, guest, pairs, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

const OK = 0;
const NOT_FOUND = 1;
const BAD_ARGUMENT = 2;

test('keys are lower-cased, Host is :authority, get answers the first value, replace/add/remove', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${w.logHeader(0, ':authority')}
      ${w.logHeader(0, 'X-MULTI')}
      ${w.getHeader(0, 'host')}
      ${w.replaceHeader(0, 'x-multi', 'one')}
      ${w.replaceHeader(0, 'X-New', 'v')}
      ${w.addHeader(0, 'x-added', '1')}
      ${w.addHeader(0, 'x-added', '2')}
      ${w.removeHeader(0, 'x-absent')}
      ${w.removeHeader(0, 'X-Gone')}
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  const out = p.createStream().onRequestHeaders([
    [':method', 'GET'], [':path', '/'], ['Host', 'Example.COM'], ['X-Multi', 'a'], ['x-multi', 'b'], ['X-Gone', 'z'],
  ], true);
  assert.equal(out.action, 'continue');
  assert.deepEqual(messages(p), ['Example.COM', 'a']);
  assert.deepEqual(results(p, 'proxy_get_header_map_value'), [OK, OK, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_remove_header_map_value'), [OK, OK]);
  assert.deepEqual(out.headers, [
    [':method', 'GET'], [':path', '/'], [':authority', 'Example.COM'],
    ['x-multi', 'one'], ['x-new', 'v'], ['x-added', '1'], ['x-added', '2'],
  ]);
  assert.equal(out.routeCacheCleared, true);
  assert.deepEqual(p.violations(), []);
  await p.close();
});

test('request headers are gone once the request continued; on_log may read but not write', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
    (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32)
      ${w.getHeader(0, ':path')}
      ${w.replaceHeader(0, ':authority', 'late.example')}
      (call $clear_slots)
      (drop (call $proxy_get_header_map_pairs (i32.const 0) (i32.const 256) (i32.const 260)))
      (call $log_u32 (i32.load (i32.const 260)))
      (drop (call $proxy_get_header_map_size (i32.const 0) (i32.const 300)))
      ${w.logHeader(2, ':status')}
      (i32.const 0))
    (func (export "proxy_on_log") (param i32)
      ${w.logHeader(0, ':path')}
      ${w.getHeader(0, 'x-missing')}
      ${w.replaceHeader(0, 'x-late', '1')})`;
  const p = await start(await guest({ body, strings: s }));
  const stream = p.createStream();
  stream.onRequestHeaders([[':path', '/a']], true);
  const resp = stream.onResponseHeaders([[':status', '200']], true);
  assert.equal(resp.action, 'continue');
  stream.complete();
  assert.deepEqual(results(p, 'proxy_get_header_map_value'), [BAD_ARGUMENT, OK, OK, NOT_FOUND]);
  assert.deepEqual(results(p, 'proxy_replace_header_map_value'), [BAD_ARGUMENT, BAD_ARGUMENT]);
  assert.deepEqual(results(p, 'proxy_get_header_map_pairs'), [OK]);
  assert.deepEqual(results(p, 'proxy_get_header_map_size'), [BAD_ARGUMENT]);
  assert.deepEqual(messages(p), ['0', '200', '/a']);
  const wrong = p.violations().filter((v) => v.kind === 'wrong-phase');
  assert.ok(wrong.length >= 4, JSON.stringify(p.violations()));
  assert.ok(wrong.every((v) => v.callback === 'proxy_on_response_headers' || v.callback === 'proxy_on_log'));
  await p.close();
});

test('while paused from on_request_headers the map stays writable (from the root, via the effective context)', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $proxy_set_tick_period_milliseconds (i32.const 60000)))
      (i32.const 1))
    (global $sid (mut i32) (i32.const 0))
    (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
      (global.set $sid (local.get $ctx))
      (i32.const 1))
    (func (export "proxy_on_tick") (param i32)
      (drop (call $proxy_set_effective_context (global.get $sid)))
      ${w.replaceHeader(0, ':authority', 'rewritten.svc')}
      (drop (call $proxy_continue_stream (i32.const 0))))`;
  const p = await start(await guest({ body, strings: s }));
  const stream = p.createStream();
  const first = stream.onRequestHeaders([[':path', '/'], [':authority', 'orig.example']], false);
  assert.equal(first.action, 'stop');
  assert.equal(first.status, 1);
  assert.equal(first.routeCacheCleared, false);
  let resumed = false;
  const whenResumed = stream.whenRequestResumed().then((o) => ((resumed = true), o));
  await new Promise((r) => setImmediate(r));
  assert.equal(resumed, false);

  assert.equal(p.fireTicks(), 1);
  const out = await whenResumed;
  assert.equal(out.action, 'continue');
  assert.deepEqual(out.headers, [[':path', '/'], [':authority', 'rewritten.svc']]);
  assert.equal(out.routeCacheCleared, true);
  assert.deepEqual(p.violations(), []);

  // After resumption the same calls find no request map and nothing to continue.
  p.fireTicks();
  assert.deepEqual(results(p, 'proxy_replace_header_map_value'), [OK, BAD_ARGUMENT]);
  assert.deepEqual(p.violations().map((v) => v.kind), ['wrong-phase', 'wrong-phase']);
  stream.complete();
  await p.close();
});

test('route cache: cleared by any request-header change or the clear_route_cache foreign function', async () => {
  const s = new Strings();
  const w = wat(s);
  const slots = '(i32.const 256) (i32.const 260)';
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (if (i32.eqz (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-touch')} ${slots}))
        (then ${w.replaceHeader(0, 'x-touch', 'done')}))
      (if (i32.eqz (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-ff')} ${slots}))
        (then (drop (call $proxy_call_foreign_function ${s.ref('clear_route_cache')} (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))))
      (drop (call $proxy_call_foreign_function ${s.ref('no_such_function')} (i32.const 0) (i32.const 0) ${slots}))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  assert.equal(p.createStream().onRequestHeaders([[':path', '/']], true).routeCacheCleared, false);
  assert.equal(p.createStream().onRequestHeaders([['x-touch', '1']], true).routeCacheCleared, true);
  const ff = p.createStream().onRequestHeaders([['x-ff', '1']], true);
  assert.equal(ff.routeCacheCleared, true);
  assert.deepEqual(ff.headers, [['x-ff', '1']]);
  assert.deepEqual(results(p, 'proxy_call_foreign_function'), [NOT_FOUND, NOT_FOUND, OK, NOT_FOUND]);
  await p.close();
});

test('get_header_map_size is the byte size; an empty value comes back as ptr=0,size=0 without malloc', async () => {
  const s = new Strings();
  const body = `${ACCEPTING_ROOT}
    (func (export "malloc_count") (result i32) (global.get $malloc_calls))
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_get_header_map_size (i32.const 0) (i32.const 300)))
      (call $log_u32 (i32.load (i32.const 300)))
      (call $log_u32 (global.get $malloc_calls))
      (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-empty')} (i32.const 256) (i32.const 260)))
      (call $log_u32 (i32.load (i32.const 256)))
      (call $log_u32 (i32.load (i32.const 260)))
      (call $log_u32 (global.get $malloc_calls))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  p.createStream().onRequestHeaders([[':path', '/ab'], ['x-empty', '']], true);
  // ':path' + '/ab' + 'x-empty' + '' = 5 + 3 + 7 + 0
  const [size, before, ptr, len, after] = messages(p);
  assert.equal(size, '15');
  assert.equal(ptr, '0');
  assert.equal(len, '0');
  assert.equal(after, before);
  await p.close();
});

test('get_header_map_pairs answers the serialized map; set_header_map_pairs replaces it', async () => {
  const s = new Strings();
  const w = wat(s);
  const replacement = pairs([['X-A', '1'], [':authority', 'b.example']]);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${w.logPairs(0)}
      (drop (call $proxy_set_header_map_pairs (i32.const 0) ${s.ref(replacement)}))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  const input: Array<[string, string]> = [[':path', '/p'], ['k', 'v1'], ['k', 'v2']];
  const out = p.createStream().onRequestHeaders(input, true);
  assert.deepEqual(messages(p), [new TextDecoder().decode(encodePairs(input))]);
  assert.deepEqual(out.headers, [[':authority', 'b.example'], ['x-a', '1']]);
  assert.equal(out.routeCacheCleared, true);
  await p.close();
});

test('pairs limits: more than 1024 pairs, more than 1 MiB or a malformed buffer is an EMPTY map', async () => {
  const s = new Strings();
  const many = (n: number) => pairs(Array.from({ length: n }, (_, i): [string, string] => [`k${i % 10}`, '']));
  const malformed = pairs([['a', '1']]);
  new DataView(malformed.buffer).setUint32(0, 3, true); // claims 3 pairs, holds 1
  const set = (buf: Uint8Array) => `(drop (call $proxy_set_header_map_pairs (i32.const 0) ${s.ref(buf)}))`;
  // A single pair whose key is $len bytes of 'a', built at 1 MiB in memory.
  const big = `(func $big (param $len i32)
      (memory.fill (i32.const 1048588) (i32.const 97) (local.get $len))
      (i32.store (i32.const 1048576) (i32.const 1))
      (i32.store (i32.const 1048580) (local.get $len))
      (i32.store (i32.const 1048584) (i32.const 0))
      (i32.store16 (i32.add (i32.const 1048588) (local.get $len)) (i32.const 0))
      (drop (call $proxy_set_header_map_pairs (i32.const 0) (i32.const 1048576) (i32.add (local.get $len) (i32.const 14)))))`;
  const body = `${ACCEPTING_ROOT} ${big}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (local $c i32)
      (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-case')} (i32.const 256) (i32.const 260)))
      (local.set $c (i32.load8_u (i32.load (i32.const 256))))
      (if (i32.eq (local.get $c) (i32.const 97)) (then ${set(many(1024))}))
      (if (i32.eq (local.get $c) (i32.const 98)) (then ${set(many(1025))}))
      (if (i32.eq (local.get $c) (i32.const 99)) (then ${set(malformed)}))
      (if (i32.eq (local.get $c) (i32.const 100)) (then (call $big (i32.const 2000))))
      (if (i32.eq (local.get $c) (i32.const 101)) (then (call $big (i32.const 1048576))))
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  const run = (c: string) => p.createStream().onRequestHeaders([['x-case', c], [':path', '/']], true).headers;
  assert.equal(run('a').length, 1024);
  assert.deepEqual(run('b'), []);
  assert.deepEqual(run('c'), []);
  assert.deepEqual(run('d'), [['a'.repeat(2000), '']]);
  assert.deepEqual(run('e'), []);
  assert.deepEqual(results(p, 'proxy_set_header_map_pairs'), [OK, OK, OK, OK, OK]);
  assert.equal(p.violations().filter((v) => v.call === 'proxy_set_header_map_pairs').length, 3);
  await p.close();
});

test('map types beyond 7 are BadArgument; callout maps outside the callback are unavailable', async () => {
  const s = new Strings();
  const w = wat(s);
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      ${w.getHeader(8, 'a')}
      ${w.getHeader(6, ':status')}
      ${w.addHeader(6, 'a', 'b')}
      (i32.const 0))`;
  const p = await start(await guest({ body, strings: s }));
  p.createStream().onRequestHeaders([[':path', '/']], true);
  assert.deepEqual(results(p, 'proxy_get_header_map_value'), [BAD_ARGUMENT, BAD_ARGUMENT]);
  assert.deepEqual(results(p, 'proxy_add_header_map_value'), [BAD_ARGUMENT]);
  await p.close();
});

test('header bytes: latin1 strings carry bytes unchanged both ways; utf8 (default) is text', async () => {
  const s = new Strings();
  const w = wat(s);
  // Writes the raw byte 0xFF (not UTF-8) and copies x-key's bytes into x-copy.
  const body = `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
      (drop (call $proxy_replace_header_map_value (i32.const 0) ${s.ref('x-raw')} ${s.ref(new Uint8Array([0x61, 0xff]))}))
      (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-key')} (i32.const 256) (i32.const 260)))
      (drop (call $proxy_add_header_map_value (i32.const 0) ${s.ref('x-copy')} (i32.load (i32.const 256)) (i32.load (i32.const 260))))
      (call $log_u32 (i32.load (i32.const 260)))
      (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-key')} (i32.const 256) (i32.const 260)))
      ;; compare with the UTF-8 bytes of "dév" (how a configuration would spell the key)
      (if (i32.and (i32.eq (i32.load (i32.const 260)) (i32.const 4))
                   (i32.eq (i32.load (i32.load (i32.const 256))) (i32.load (i32.const ${s.at('dév').ptr}))))
        (then ${w.log('key matches')}))
      (i32.const 0))`;
  const wasm = await guest({ body, strings: s });
  const utf8Bytes = Buffer.from('dév').toString('latin1'); // 'dÃ©v': what node:http hands over

  const bytes = await start(wasm, { headerEncoding: 'latin1' });
  const out = bytes.createStream().onRequestHeaders([[':path', '/'], ['X-Key', utf8Bytes]], true);
  assert.deepEqual(messages(bytes), ['4', 'key matches']);
  assert.equal(out.headers.find(([k]) => k === 'x-raw')?.[1], 'a\xff');
  assert.equal(out.headers.find(([k]) => k === 'x-copy')?.[1], utf8Bytes);
  await bytes.close();

  const text = await start(wasm);
  const t = text.createStream().onRequestHeaders([[':path', '/'], ['x-key', 'dév']], true);
  assert.deepEqual(messages(text), ['4', 'key matches']);
  assert.equal(t.headers.find(([k]) => k === 'x-copy')?.[1], 'dév');
  assert.equal(t.headers.find(([k]) => k === 'x-raw')?.[1], 'a\ufffd', 'non-UTF-8 bytes read back as U+FFFD');
  await text.close();
});

test('keys are lower-cased like absl::AsciiStrToLower: only A-Z change', async () => {
  const p = await start(await guest({ body: `${ACCEPTING_ROOT}
    (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))` }), { headerEncoding: 'latin1' });
  const out = p.createStream().onRequestHeaders([['X-\xc0Ab', 'v']], true);
  assert.deepEqual(out.headers, [['x-\xc0ab', 'v']]);
  await p.close();
});
