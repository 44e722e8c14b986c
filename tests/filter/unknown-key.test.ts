// The unknown-key policy (a key present but matching no route) and response header operations,
// through the built module: each policy, absent vs unknown key, the local reply as Envoy gets it
// (status, body, headers, details), the key escaped in its body, and the host calls each costs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { HeaderList, Plugin } from '../../host/lib/api.ts';
import { startsClosedAfterTests, startRoutekey, request, header, all, counter } from '../helpers/routekey.ts';
import { Clock, liveConfig, manual, advance, routeOf, answer, ok200, rulesDoc, warnings } from '../helpers/rules.ts';

const start = startsClosedAfterTests();

const ROUTES = [{ name: 'dev', keys: ['dev'], destination: 'dev.svc:8080',
  responseHeaders: { set: { 'x-sandbox': 'dev' }, add: { vary: 'x-env' }, remove: ['server'] } }];
const DEFAULT = { destination: 'baseline.svc:8080', responseHeaders: { set: { 'x-sandbox': 'baseline' } } };
const base = (unknownKey?: unknown) => ({ key: 'x-env', routes: ROUTES, default: DEFAULT,
  decisionHeader: 'x-routekey-route', ...(unknownKey === undefined ? {} : { unknownKey }) });
const req = (key?: string | Buffer): HeaderList => [[':authority', 'app'], [':path', '/'], [':method', 'GET'],
  ...(key === undefined ? [] : [['x-env', typeof key === 'string' ? key : key.toString('latin1')] as [string, string]])];

/** The guest's host calls for one stream, by callback, without the counters (filter/metrics.ts batches those). */
function callsOf(p: Plugin, contextId: number, callback: string): string[] {
  return p.hostCalls().filter((c) => c.contextId === contextId && c.callback === callback &&
    !c.name.includes('metric')).map((c) => c.name);
}

test('unknownKey absent or "default": an unknown key takes the default, like an absent one', async () => {
  for (const config of [base(), base('default')]) {
    const p = await start(config);
    for (const key of ['nope', undefined]) {
      const r = request(p, req(key));
      assert.equal(r.req.action, 'continue');
      assert.equal(header(r.req.headers, ':authority'), 'baseline.svc:8080');
      assert.equal(header(r.resp.headers, 'x-routekey-route'), 'default');
      assert.equal(header(r.resp.headers, 'x-sandbox'), 'baseline', "the default's response headers");
    }
  }
});

test('unknownKey "passthrough": an unknown key passes unchanged, an absent key still takes the default', async () => {
  const p = await start(base('passthrough'));
  const unknown = request(p, req('nope'));
  assert.equal(header(unknown.req.headers, ':authority'), 'app');
  assert.equal(header(unknown.resp.headers, 'x-routekey-route'), 'none');
  assert.equal(header(unknown.resp.headers, 'x-sandbox'), undefined);
  const absent = request(p, req());
  assert.equal(header(absent.req.headers, ':authority'), 'baseline.svc:8080');
  const known = request(p, req('dev'), [[':status', '200'], ['server', 'up'], ['vary', 'accept']]);
  assert.equal(header(known.req.headers, ':authority'), 'dev.svc:8080');
  assert.equal(header(known.resp.headers, 'x-sandbox'), 'dev');
  assert.deepEqual(all(known.resp.headers, 'vary'), ['accept', 'x-env']);
  assert.equal(header(known.resp.headers, 'server'), undefined);
});

test('unknownKey as an action: its own destination and headers, named unknownKey', async () => {
  const p = await start(base({ destination: 'catch-all.svc', requestHeaders: { set: { 'x-unknown': '1' } },
    responseHeaders: { set: { 'x-sandbox': 'none-for-this-key' } } }));
  const r = request(p, req('pr-7'));
  assert.equal(header(r.req.headers, ':authority'), 'catch-all.svc');
  assert.equal(header(r.req.headers, 'x-unknown'), '1');
  assert.equal(header(r.resp.headers, 'x-routekey-route'), 'unknownKey');
  assert.equal(header(r.resp.headers, 'x-sandbox'), 'none-for-this-key');
  assert.equal(header(request(p, req()).req.headers, ':authority'), 'baseline.svc:8080', 'absent key: the default');
  assert.equal(counter(p, 'routekey.routed.route.unknownKey'), 1);
  assert.equal(counter(p, 'routekey.unknown_key'), 1, 'counted as an unknown key too');
});

const REPLY = base({ reply: { status: 404, body: 'no sandbox for key {key}\n' },
  responseHeaders: { set: { 'cache-control': 'no-store' } } });

test('unknownKey reply: a local 404 with the key in a text/plain body, StopIteration, one host call', async () => {
  const p = await start(REPLY);
  for (let round = 0; round < 2; round++) {
    const stream = p.createStream();
    const o = stream.onRequestHeaders(req('pr-7'), true);
    assert.equal(o.action, 'localReply');
    assert.equal(o.status, 1, 'StopIteration after the reply');
    const reply = o.localReply!;
    assert.equal(reply.status, 404);
    assert.equal(Buffer.from(reply.body).toString(), 'no sandbox for key pr-7\n');
    assert.deepEqual(reply.headers, [['content-type', 'text/plain; charset=utf-8']]);
    assert.equal(reply.details, 'routekey_unknown_key');
    assert.equal(reply.grpcStatus, -1, 'no gRPC status');
    assert.equal(header(o.headers, ':authority'), 'app', 'the request is not changed');
    assert.deepEqual(callsOf(p, stream.contextId, 'proxy_on_request_headers'),
      ['proxy_get_header_map_value', 'proxy_send_local_response']);
    // Envoy runs the reply through the encoder filters: the decision header and the ops apply.
    const resp = stream.onResponseHeaders([[':status', '404'], ['content-type', 'text/plain; charset=utf-8']], false);
    assert.equal(resp.action, 'continue', 'the reply goes on through the response side');
    assert.equal(header(resp.headers, 'x-routekey-route'), 'unknownKey');
    assert.equal(header(resp.headers, 'cache-control'), 'no-store');
    assert.deepEqual(callsOf(p, stream.contextId, 'proxy_on_response_headers'),
      ['proxy_replace_header_map_value', 'proxy_replace_header_map_value']);
    stream.complete();
  }
  assert.deepEqual(p.violations(), []);
  assert.equal(counter(p, 'routekey.local_reply'), 2, 'each reply counted, on the tick');
  assert.equal(counter(p, 'routekey.unknown_key'), 2);
  // A known and an absent key are not answered.
  assert.equal(request(p, req('dev')).req.action, 'continue');
  assert.equal(header(request(p, req()).req.headers, ':authority'), 'baseline.svc:8080');
});

test('unknownKey reply: hostile keys are escaped in the body and bounded', async () => {
  const p = await start(base({ reply: { status: 421, body: '<p>{key}</p>' } }), { headerEncoding: 'latin1' });
  const long = 'k'.repeat(4096);
  const cases: Array<[string | Buffer, string]> = [
    ['<script>alert(1)</script>', '%3Cscript%3Ealert(1)%3C/script%3E'],
    ['a&b"c\'d%e', 'a%26b%22c%27d%25e'],
    ['tab\there', 'tab%09here'],
    [Buffer.from([0x6b, 0xff, 0xc3, 0x28, 0x80]), 'k%FF%C3(%80'], // not UTF-8
    [Buffer.from('caf\u00e9'), 'caf%C3%A9'], // UTF-8 bytes, each escaped
    [long, 'k'.repeat(125) + '...'],
    ['%'.repeat(100), '%25'.repeat(41) + '...'], // cut at a whole escape
  ];
  for (const [key, escaped] of cases) {
    const o = request(p, req(key)).req;
    assert.equal(o.localReply?.status, 421);
    assert.equal(Buffer.from(o.localReply!.body).toString('latin1'), `<p>${escaped}</p>`, `key ${String(key).slice(0, 40)}`);
  }
});

test('unknownKey reply: a key with CR/LF never reaches a header (the host refuses it first, or it is escaped)', async () => {
  const p = await start(base({ reply: { status: 404, body: '{key}' } }));
  const o = request(p, req('a\r\nset-cookie: x=1')).req;
  assert.deepEqual(o.localReply!.headers, [['content-type', 'text/plain; charset=utf-8']]);
  assert.equal(Buffer.from(o.localReply!.body).toString(), 'a%0D%0Aset-cookie: x=1');
});

test('unknownKey reply without a body: no content type, and a body without {key} is sent as written', async () => {
  const empty = await start(base({ reply: { status: 403 } }));
  const o = request(empty, req('x')).req.localReply!;
  assert.equal(o.status, 403);
  assert.equal(o.body.length, 0);
  assert.deepEqual(o.headers, []);
  const fixed = await start(base({ reply: { status: 503, body: 'no sandbox {KEY}' } }));
  assert.equal(Buffer.from(request(fixed, req('x')).req.localReply!.body).toString(), 'no sandbox {KEY}');
});

test('response header operations cost one host call each, after the decision header', async () => {
  const p = await start(base());
  const stream = p.createStream();
  stream.onRequestHeaders(req('dev'), true);
  const resp = stream.onResponseHeaders([[':status', '200'], ['server', 'up']], false);
  assert.equal(header(resp.headers, 'x-routekey-route'), 'dev');
  assert.deepEqual(callsOf(p, stream.contextId, 'proxy_on_response_headers'), ['proxy_replace_header_map_value',
    'proxy_replace_header_map_value', 'proxy_add_header_map_value', 'proxy_remove_header_map_value']);
  stream.complete();
});

test('a rules document carries its own unknownKey (absent: "default"), replacing the configuration\'s', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { unknownKey: 'passthrough', default: { destination: 'base.svc' } }), manual(clock));
  assert.equal(routeOf(p, 'nope'), 'app.local', 'the configuration: passthrough');
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', { dev: 'live.svc' }, { default: { destination: 'doc-base.svc' },
    unknownKey: { reply: { status: 404, body: 'none for {key}' } } })));
  const o = request(p, req('nope')).req;
  assert.equal(Buffer.from(o.localReply!.body).toString(), 'none for nope');
  advance(p, clock, 1000);
  answer(p, ok200(rulesDoc('v2', { dev: 'live.svc' }, { default: { destination: 'doc-base.svc' } })));
  assert.equal(routeOf(p, 'nope'), 'doc-base.svc', 'a document without unknownKey: the default');
  advance(p, clock, 1000);
  answer(p, ok200(rulesDoc('v3', { dev: 'live.svc' }, { unknownKey: { colour: 1 } })));
  assert.ok(warnings(p).some((w) => w.includes('unknownKey.colour: unknown field')), warnings(p).join('\n'));
  assert.equal(routeOf(p, 'nope'), 'doc-base.svc', 'a refused document keeps the last one');
});

/** A rejection whose one critical line holds `error`. */
const refusedWith = (error: string) => (e: any) =>
  e.logs.some((l: any) => l.level === 'critical' && l.message.includes(`routekey: invalid configuration: ${error}`));

test('configuration errors name the field', async () => {
  const cases: Array<[unknown, string]> = [
    ['maybe', 'unknownKey: expected "default", "passthrough" or an action object, got "maybe"'],
    [{}, 'unknownKey: expected "reply" alone, or "destination" and/or "requestHeaders"'],
    [{ reply: { status: 404 }, destination: 'x.svc' }, 'unknownKey: expected "reply" alone'],
    [{ reply: { status: 99 } }, 'unknownKey.reply.status: expected an HTTP status from 200 to 599, got 99'],
    [{ reply: { status: 404.5 } }, 'unknownKey.reply.status: expected an HTTP status from 200 to 599'],
    [{ reply: { status: '404' } }, 'unknownKey.reply.status: expected an HTTP status'],
    [{ reply: { body: 'x' } }, 'unknownKey.reply: missing required field "status"'],
    [{ reply: { status: 404, body: 'x'.repeat(1025) } }, 'unknownKey.reply.body: expected a string of at most 1024 bytes'],
    [{ reply: { status: 404, colour: 1 } }, 'unknownKey.reply.colour: unknown field (expected one of status, body)'],
    [{ reply: { status: 404 }, responseHeaders: { set: { 'content-length': '1' } } },
      'unknownKey.responseHeaders.set.content-length: expected a header other than content-length and transfer-encoding'],
  ];
  for (const [unknownKey, error] of cases) {
    await assert.rejects(startRoutekey(base(unknownKey)), refusedWith(error), `${JSON.stringify(unknownKey)} → ${error}`);
  }
  const routeErrors: Array<[unknown, string]> = [
    [{ set: { ':status': '1' } }, 'routes[0].responseHeaders.set[":status"]: expected a header name (token characters)'],
    [{ remove: ['transfer-encoding'] }, 'routes[0].responseHeaders.remove[0]: expected a header other than content-length'],
    [{ set: { 'x-a': 'a\nb' } }, 'routes[0].responseHeaders.set.x-a: expected a header value without CR, LF or other controls'],
  ];
  for (const [responseHeaders, error] of routeErrors) {
    const config = { key: 'x-env', routes: [{ name: 'r', keys: ['k'], destination: 'a.svc', responseHeaders }] };
    await assert.rejects(startRoutekey(config), refusedWith(error), error);
  }
  await assert.rejects(startRoutekey({ key: 'x-env', routes: [{ name: 'unknownKey', keys: ['k'], destination: 'a.svc' }] }),
    refusedWith('routes[0].name: expected a name other than "default", "none" and "unknownKey"'));
});

/** The ```json block of README.md's section `heading`. */
function readmeExample(heading: string): object {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = text.slice(text.indexOf(`### ${heading}\n`));
  const block = /```json\n([\s\S]*?)```/.exec(section)![1]!;
  return JSON.parse(block);
}

test('README "When the key matches nothing": the example does what the text says', async () => {
  const p = await start(readmeExample('When the key matches nothing'));
  assert.equal(header(request(p, req('dev')).req.headers, ':authority'), 'dev.svc:8080');
  assert.equal(header(request(p, req()).req.headers, ':authority'), 'baseline.svc:8080');
  const stream = p.createStream();
  const o = stream.onRequestHeaders(req('pr-7'), true);
  assert.equal(o.localReply?.status, 404);
  assert.equal(Buffer.from(o.localReply!.body).toString(), 'no sandbox for key pr-7\n');
  assert.deepEqual(o.localReply!.headers, [['content-type', 'text/plain; charset=utf-8']]);
  const resp = stream.onResponseHeaders([[':status', '404'], ...o.localReply!.headers], false);
  assert.equal(header(resp.headers, 'cache-control'), 'no-store');
  assert.equal(header(resp.headers, 'x-routekey-route'), 'unknownKey');
  stream.complete();
});

test('README "Response headers": the example does what the text says', async () => {
  const p = await start(readmeExample('Response headers'));
  const upstream: HeaderList = [[':status', '200'], ['server', 'envoy'], ['vary', 'accept']];
  const dev = request(p, req('dev'), upstream).resp.headers;
  assert.equal(header(dev, 'x-sandbox'), 'dev');
  assert.deepEqual(all(dev, 'vary'), ['accept', 'x-env']);
  assert.equal(header(dev, 'server'), undefined);
  for (const key of ['other', undefined]) {
    const other = request(p, req(key), upstream).resp.headers;
    assert.equal(header(other, 'x-sandbox'), 'baseline');
    assert.equal(header(other, 'server'), 'envoy');
  }
});

test('memory stays flat over many local replies and response ops (nothing per request is allocated)', async () => {
  const p = await start(REPLY, { recordHostCalls: false });
  const keys = ['nope', 'dev', '<script>'.repeat(40), 'x'.repeat(4096), ''];
  const drive = (n: number) => {
    for (let i = 0; i < n; i++) request(p, req(keys[i % keys.length] || undefined));
  };
  drive(2000);
  const before = p.memoryBytes();
  drive(10000);
  assert.equal(p.memoryBytes(), before);
  assert.deepEqual(p.failures(), []);
});
