// proxy_http_call against a real HTTP server on 127.0.0.1: response delivery to the root context
// (map 6, buffer 4), timeout → 504, refused → 503, reset → n_headers 0, BadArgument cases.
// Manual callout mode (PluginOptions.callouts: 'manual'): calls are recorded, not sent, and the
// test answers them with Plugin.deliverCallout through the same delivery path.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin, PluginOptions } from '../../../host/lib/api.ts';
import { ACCEPTING_ROOT, guest, pairs, Strings, wat } from '../wat.ts';
import { messages, results, start } from '../harness.ts';

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
    assert.deepEqual(p.pendingCallouts(), [], 'network callouts are not pending for delivery');
    assert.throws(() => p.deliverCallout(1, {}), /not 'manual'/);
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

// --- manual mode --------------------------------------------------------------------------------

const BROKEN_CONNECTION = 11;

/** x-case picks the call; the response callback logs what it can read, traps on an x-trap
 *  response header, then resumes the stream that made the call. */
async function manualModule(): Promise<Uint8Array> {
  const s = new Strings();
  const w = wat(s);
  const h = (list: Array<[string, string]>) => s.ref(pairs(list));
  const full = h([[':method', 'POST'], [':path', '/ok'], [':authority', 'backend.svc'], ['X-Test', '1']]);
  const plain = h([[':method', 'GET'], [':path', '/ok'], [':authority', 'backend.svc']]);
  const trailers = s.ref(pairs([['x-trailer', 't']]));
  const none = '(i32.const 0) (i32.const 0)';
  const cases: Array<[string, string]> = [
    ['a', `${s.ref('backend')} ${full} ${s.ref('ping')} ${trailers} (i32.const 5000)`],
    ['b', `${s.ref('backend')} ${plain} ${none} ${none} (i32.const 0)`],
    ['e', `${s.ref('nope')} ${plain} ${none} ${none} (i32.const 100)`],
    ['f', `${s.ref('backend')} ${h([[':method', 'GET'], [':path', '/ok'], ['host', 'backend.svc']])} ${none} ${none} (i32.const 100)`],
    ['m', `${s.ref('backend')} ${h([[':path', '/ok'], [':authority', 'backend.svc']])} ${none} ${none} (i32.const 100)`],
    ['p', `${s.ref('backend')} ${h([[':method', 'GET'], [':authority', 'backend.svc']])} ${none} ${none} (i32.const 100)`],
    ['g', `${s.ref('backend')} ${plain} ${none} ${none} (i32.const -1)`],
  ];
  return guest({
    strings: s,
    body: `
      (global $sid (mut i32) (i32.const 0))
      ${ACCEPTING_ROOT}
      (func (export "proxy_on_request_headers") (param $ctx i32) (param i32 i32) (result i32)
        (local $c i32) (local $r i32)
        (global.set $sid (local.get $ctx))
        (drop (call $proxy_get_buffer_bytes (i32.const 4) (i32.const 0) (i32.const 10) (i32.const 256) (i32.const 260)))
        (drop (call $proxy_get_header_map_value (i32.const 0) ${s.ref('x-case')} (i32.const 256) (i32.const 260)))
        (local.set $c (i32.load8_u (i32.load (i32.const 256))))
        (local.set $r (i32.const 99))
        ${cases.map(([c, args]) => `(if (i32.eq (local.get $c) (i32.const ${c.charCodeAt(0)}))
          (then (local.set $r (call $proxy_http_call ${args} (i32.const 400)))))`).join('\n')}
        (if (i32.eqz (local.get $r)) (then (return (i32.const 1))))
        (i32.const 0))
      (func (export "proxy_on_http_call_response") (param $root i32) (param $token i32) (param $nh i32) (param $bs i32) (param $nt i32)
        (call $log_u32 (local.get $root))
        (call $log_u32 (local.get $token))
        (call $log_u32 (local.get $nh))
        (call $log_u32 (local.get $bs))
        (call $log_u32 (local.get $nt))
        (if (local.get $nh) (then
          ${w.logHeader(6, ':status')}
          ${w.logHeader(6, 'x-upstream')}))
        (if (local.get $bs) (then
          ${w.logBuffer(4, 0, 1000).replace('(i32.const 1000)', '(local.get $bs)')}))
        (if (local.get $nt) (then
          ${w.logHeader(7, 'x-trailer')}))
        (drop (call $proxy_get_status (i32.const 320) (i32.const 256) (i32.const 260)))
        (call $log_u32 (i32.load (i32.const 320)))
        (if (local.get $nh) (then
          (if (i32.eqz (call $proxy_get_header_map_value (i32.const 6) ${s.ref('x-trap')} (i32.const 256) (i32.const 260)))
            (then unreachable))))
        (drop (call $proxy_set_effective_context (global.get $sid)))
        (drop (call $proxy_continue_stream (i32.const 0))))`,
  });
}

function manual(wasm: Uint8Array, options: Partial<PluginOptions> = {}): Promise<Plugin> {
  return start(wasm, { callouts: 'manual', ...options });
}

/** A stream whose request headers make callout `c`; it pauses when the call returned Ok. */
function call(p: Plugin, c: string) {
  const stream = p.createStream();
  const first = stream.onRequestHeaders([['x-case', c], [':path', '/']], true);
  return { stream, first };
}

test('manual mode records callouts instead of sending them, with the same validation', async () => {
  const seenBefore = seen.length;
  const p = await manual(await manualModule(), {
    clusters: (name) => (name === 'backend' ? { host: '127.0.0.1', port } : undefined),
  });
  try {
    const { stream, first } = call(p, 'a');
    assert.equal(first.action, 'stop');
    let resumed = false;
    void stream.whenRequestResumed().then(() => (resumed = true));
    assert.deepEqual(p.pendingCallouts(), [{
      vm: 'worker-1',
      token: 1,
      cluster: 'backend',
      headers: [[':method', 'POST'], [':path', '/ok'], [':authority', 'backend.svc'], ['x-test', '1']],
      body: new TextEncoder().encode('ping'),
      trailers: [['x-trailer', 't']],
      timeoutMs: 5000,
      contextId: stream.contextId,
      rootContextId: 1,
    }]);
    const second = call(p, 'b');
    assert.equal(second.first.action, 'stop');
    assert.deepEqual(p.pendingCallouts().map((c) => [c.token, c.timeoutMs, c.body.length, c.trailers]), [
      [1, 5000, 4, [['x-trailer', 't']]],
      [2, 0, 0, []],
    ]);

    // Validation as in network mode: the resolver still decides which clusters exist.
    for (const c of ['e', 'f', 'm', 'p', 'g']) assert.equal(call(p, c).first.action, 'continue', `case ${c}`);
    assert.deepEqual(results(p, 'proxy_http_call'), [OK, OK, BAD_ARGUMENT, BAD_ARGUMENT, BAD_ARGUMENT, BAD_ARGUMENT, BAD_ARGUMENT]);
    assert.equal(p.pendingCallouts().length, 2);

    // Nothing went out, nothing timed out, and settle() does not wait for manual callouts.
    await p.settle();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, seenBefore);
    assert.equal(resumed, false);
    assert.equal(p.pendingCallouts().length, 2);
    assert.deepEqual(messages(p), []);
  } finally {
    await p.close();
  }
});

test('manual mode without a resolver treats every cluster as known', async () => {
  const p = await manual(await manualModule());
  try {
    assert.equal(call(p, 'e').first.action, 'stop');
    assert.equal(call(p, 'f').first.action, 'continue');
    assert.deepEqual(results(p, 'proxy_http_call'), [OK, BAD_ARGUMENT]);
    assert.deepEqual(p.pendingCallouts().map((c) => c.cluster), ['nope']);
  } finally {
    await p.close();
  }
});

test('deliverCallout runs the root callback with the response and the guest resumes its stream', async () => {
  const p = await manual(await manualModule());
  try {
    const { stream } = call(p, 'a');
    const [pending] = p.pendingCallouts();
    const delivery = p.deliverCallout(pending!.token, {
      status: 201,
      headers: [['X-Upstream', 'yes'], [':status', '999']],
      body: 'pong',
      trailers: [['x-trailer', 'done']],
    });
    // root, token, n_headers (:status + x-upstream), body size, n_trailers, :status, header,
    // body, trailer, proxy_get_status code.
    assert.deepEqual(delivery.logs.map((l) => l.message), ['1', '1', '2', '4', '1', '201', 'yes', 'pong', 'done', '0']);
    assert.ok(delivery.logs.every((l) => l.vm === 'worker-1'));
    assert.deepEqual(delivery.violations, []);
    assert.equal(delivery.failure, undefined);
    assert.equal(delivery.resumed.length, 1);
    assert.equal(delivery.resumed[0]!.contextId, stream.contextId);
    assert.equal(delivery.resumed[0]!.outcome.action, 'continue');
    assert.equal((await stream.whenRequestResumed()).action, 'continue');
    assert.deepEqual(p.pendingCallouts(), []);

    // Delivered once; buffer 4 is readable only inside the callback.
    assert.throws(() => p.deliverCallout(pending!.token, {}), /no pending callout with token 1/);
    call(p, 'f');
    assert.deepEqual(results(p, 'proxy_get_buffer_bytes'), [NOT_FOUND, OK, NOT_FOUND]);

    // Defaults: 200, no body, no trailers; a Uint8Array body is delivered byte for byte.
    const b = call(p, 'b');
    assert.deepEqual(p.deliverCallout(2, {}).logs.map((l) => l.message), ['1', '2', '1', '0', '0', '200', '0']);
    assert.equal((await b.stream.whenRequestResumed()).action, 'continue');
    const c = call(p, 'b');
    const bytes = p.deliverCallout(3, { headers: [[':status', '404']], body: new Uint8Array([0x6f, 0x6b]) });
    assert.deepEqual(bytes.logs.map((l) => l.message), ['1', '3', '1', '2', '0', '404', 'ok', '0']);
    assert.equal((await c.stream.whenRequestResumed()).action, 'continue');
    assert.throws(() => p.deliverCallout(4, { status: 42 }), /no pending callout/);
    call(p, 'b');
    assert.throws(() => p.deliverCallout(4, { status: 42 }), /not an HTTP status/);
    assert.equal(p.pendingCallouts().length, 1, 'a refused response leaves the callout pending');
    assert.deepEqual(p.failures(), []);
  } finally {
    await p.close();
  }
});

test('deliverCallout: reset and timeout arrive as Envoy delivers them', async () => {
  const p = await manual(await manualModule());
  try {
    const r = call(p, 'a');
    const reset = p.deliverCallout(1, 'reset');
    // n_headers 0, body 0, trailers 0, proxy_get_status BrokenConnection.
    assert.deepEqual(reset.logs.map((l) => l.message), ['1', '1', '0', '0', '0', String(BROKEN_CONNECTION)]);
    assert.deepEqual(reset.violations, []);
    assert.equal((await r.stream.whenRequestResumed()).action, 'continue');

    const t = call(p, 'a');
    const timeout = p.deliverCallout(2, 'timeout');
    assert.deepEqual(timeout.logs.map((l) => l.message),
      ['1', '2', '3', String('upstream request timeout'.length), '0', '504', 'upstream request timeout', '0']);
    assert.equal(timeout.resumed[0]!.contextId, t.stream.contextId);
    assert.equal((await t.stream.whenRequestResumed()).action, 'continue');
    assert.deepEqual(p.pendingCallouts(), []);
  } finally {
    await p.close();
  }
});

test('deliverCallout: a trap in the callback is reported and fails the paused stream', async () => {
  const p = await manual(await manualModule());
  try {
    const { stream } = call(p, 'a');
    const delivery = p.deliverCallout(1, { headers: [['x-trap', '1']] });
    assert.match(delivery.failure ?? '', /proxy_on_http_call_response failed/);
    assert.equal(delivery.resumed.length, 1);
    assert.equal(delivery.resumed[0]!.outcome.action, 'failed');
    assert.equal(delivery.resumed[0]!.outcome.localReply?.status, 503);
    assert.equal((await stream.whenRequestResumed()).action, 'failed');
    assert.equal(p.failures().length, 1);
  } finally {
    await p.close();
  }
});

test('deliverCallout: unknown tokens, tokens on several workers, cancelled and closed', async () => {
  const p = await manual(await manualModule(), { workers: 2 });
  assert.throws(() => p.deliverCallout(7, {}), /no pending callout with token 7/);
  assert.equal(call(p, 'a').first.action, 'stop');
  const two = call(p, 'a');
  assert.deepEqual(p.pendingCallouts().map((c) => [c.vm, c.token]), [['worker-1', 1], ['worker-2', 1]]);
  assert.throws(() => p.deliverCallout(1, {}), /pending on worker-1, worker-2: name the vm/);
  assert.throws(() => p.deliverCallout(1, {}, 'worker-3'), /no pending callout with token 1 on worker-3/);
  const delivered = p.deliverCallout(1, {}, 'worker-2');
  assert.ok(delivered.logs.every((l) => l.vm === 'worker-2'));
  assert.deepEqual(delivered.resumed.map((r) => r.contextId), [two.stream.contextId]);
  assert.deepEqual(p.pendingCallouts().map((c) => c.vm), ['worker-1']);

  // A new configuration replaces the root context: Envoy cancels its callouts.
  await p.reconfigure('again');
  assert.deepEqual(p.pendingCallouts(), []);
  assert.throws(() => p.deliverCallout(1, {}, 'worker-1'), /no pending callout/);
  call(p, 'b');
  assert.equal(p.pendingCallouts().length, 1);
  await p.close();
  assert.deepEqual(p.pendingCallouts(), []);
  assert.throws(() => p.deliverCallout(2, {}), /plugin is closed/);
});
