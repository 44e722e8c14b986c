// proxy_http_call against a real HTTP server on 127.0.0.1: response delivery to the root context
// (map 6, buffer 4), timeout → 504, refused → 503, reset → n_headers 0, BadArgument cases.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from '../../host/api.ts';
import { guest, pairs, Strings, wat } from './wat.ts';
import { messages, results, start } from './harness.ts';

const OK = 0;
const NOT_FOUND = 1;
const BAD_ARGUMENT = 2;

const seen: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
/** 'slow-open' when a /slow request arrived, 'slow-closed' when its connection went away. */
const events = new EventEmitter();
let server: http.Server;
let port = 0;
let deadPort = 0;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') {
      events.emit('slow-open');
      req.socket.once('close', () => events.emit('slow-closed'));
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      if (req.url === '/ok') {
        res.writeHead(200, { 'X-Upstream': 'yes', 'content-type': 'text/plain' });
        res.end(`pong:${body}`);
      } else if (req.url === '/reset') {
        res.writeHead(200, { 'content-length': '100' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      }
      // '/slow' never answers.
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  // A refused connection needs a port nothing listens on: one that was free a moment ago. (The
  // only listen(0)-then-close in these tests; every server that answers keeps its port 0 socket.)
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function calloutModule(): Promise<Uint8Array> {
  const s = new Strings();
  const w = wat(s);
  const h = (path: string, extra: Array<[string, string]> = []) =>
    s.ref(pairs([[':method', 'POST'], [':path', path], [':authority', 'backend.svc'], ...extra]));
  const noAuthority = s.ref(pairs([[':method', 'GET'], [':path', '/ok'], ['host', 'backend.svc']]));
  const cases: Array<[string, string]> = [
    ['a', `${s.ref('backend')} ${h('/ok', [['X-Test', '1']])} ${s.ref('ping')} (i32.const 5000)`],
    ['b', `${s.ref('backend')} ${h('/slow')} (i32.const 0) (i32.const 0) (i32.const 80)`],
    ['c', `${s.ref('dead')} ${h('/ok')} (i32.const 0) (i32.const 0) (i32.const 5000)`],
    ['d', `${s.ref('backend')} ${h('/reset')} (i32.const 0) (i32.const 0) (i32.const 5000)`],
    ['e', `${s.ref('outbound|80||nope.svc')} ${h('/ok')} (i32.const 0) (i32.const 0) (i32.const 5000)`],
    ['f', `${s.ref('backend')} ${noAuthority} (i32.const 0) (i32.const 0) (i32.const 5000)`],
    ['g', `${s.ref('backend')} ${h('/ok')} (i32.const 0) (i32.const 0) (i32.const -1)`],
    ['h', `${s.ref('backend')} ${h('/slow')} (i32.const 0) (i32.const 0) (i32.const 0)`],
  ];
  return guest({
    strings: s,
    body: `
      (global $sid (mut i32) (i32.const 0))
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
      (func $call (param i32 i32 i32 i32 i32 i32 i32) (result i32)
        (call $proxy_http_call (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)
          (i32.const 0) (i32.const 0) (local.get 6) (i32.const 400)))
      (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
        (local $c i32) (local $r i32)
        (global.set $sid (local.get $ctx))
        (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 10) (i32.const 256) (i32.const 260)))
        (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-case')} (i32.const 256) (i32.const 260)))
        (local.set $c (i32.load8_u (i32.load (i32.const 256))))
        (local.set $r (i32.const 99))
        ${cases.map(([c, args]) => `(if (i32.eq (local.get $c) (i32.const ${c.charCodeAt(0)})) (then (local.set $r (call $call ${args}))))`).join('\n')}
        (if (i32.eqz (local.get $r)) (then (return (i32.const 1))))
        (i32.const 0))
      (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $nh i32) (param $bs i32) (param $nt i32)
        (call $log_u32 (local.get $nh))
        ${w.logHeader(6, ':status')}
        ${w.logBuffer(4, 0, 1000).replace('(i32.const 1000)', '(local.get $bs)')}
        (drop (call $proxy_get_status (i32.const 320) (i32.const 256) (i32.const 260)))
        (call $log_u32 (i32.load (i32.const 320)))
        (drop (call $proxy_set_effective_context (global.get $sid)))
        (drop (call $proxy_continue_stream (i32.const 0))))`,
  });
}

async function run(p: Plugin, c: string): Promise<string[]> {
  const before = p.logs.length;
  const stream = p.createStream();
  const first = stream.onRequestHeaders([['x-case', c], [':path', '/']], true);
  assert.equal(first.action, 'stop', `case ${c} should pause for its callout`);
  const resumed = await stream.whenRequestResumed();
  assert.equal(resumed.action, 'continue');
  stream.complete();
  return messages(p).slice(before);
}

test('callouts reach the cluster; responses, timeouts, refusals and resets arrive at the root', async () => {
  const p = await start(await calloutModule(), {
    clusters: (name) => (name === 'backend' ? { host: '127.0.0.1', port } : name === 'dead' ? { host: '127.0.0.1', port: deadPort } : undefined),
  });
  try {
    const ok = await run(p, 'a');
    assert.equal(ok[1], '200');
    assert.equal(ok[2], 'pong:ping');
    assert.equal(ok[3], '0');
    assert.ok(Number(ok[0]) >= 3, `n_headers ${ok[0]}`);
    const req = seen.find((r) => r.url === '/ok')!;
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.host, 'backend.svc');
    assert.equal(req.headers['x-test'], '1');
    assert.equal(req.body, 'ping');
    assert.deepEqual(results(p, 'proxy_get_buffer_bytes').slice(0, 2), [NOT_FOUND, OK]);

    const slow = await run(p, 'b');
    assert.deepEqual(slow.slice(1), ['504', 'upstream request timeout', '0']);

    const refused = await run(p, 'c');
    assert.equal(refused[1], '503');
    assert.match(refused[2]!, /^upstream connect error or disconnect\/reset before headers/);

    const reset = await run(p, 'd');
    assert.deepEqual(reset, ['0', '11']);

    for (const c of ['e', 'f', 'g']) {
      const out = p.createStream().onRequestHeaders([['x-case', c]], true);
      assert.equal(out.action, 'continue');
    }
    assert.deepEqual(results(p, 'proxy_http_call'), [OK, OK, OK, OK, BAD_ARGUMENT, BAD_ARGUMENT, BAD_ARGUMENT]);
    await p.settle();
    assert.deepEqual(p.failures(), []);
  } finally {
    await p.close();
  }
});

test('close() aborts callouts in flight: the connection is dropped and no callback comes', async () => {
  const p = await start(await calloutModule(), { clusters: () => ({ host: '127.0.0.1', port }) });
  const arrived = once(events, 'slow-open');
  const dropped = once(events, 'slow-closed');
  const stream = p.createStream();
  assert.equal(stream.onRequestHeaders([['x-case', 'h']], true).action, 'stop');
  await arrived;
  const before = p.logs.length;
  await p.close();
  await dropped;
  await p.settle();
  assert.equal(p.logs.length, before);
  assert.deepEqual(p.failures(), []);
});
