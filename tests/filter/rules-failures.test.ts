// Live rules: nothing the rules server does loses the good rules (assembly/fetch/fetcher.ts).
// Every failure keeps the rules in force — asserted on requests — logs one warn line naming what
// failed and the version kept (never the token), counts it by reason and backs off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, header } from '../helpers/routekey.ts';
import type { CalloutResponse, Plugin } from '../../host/lib/api.ts';
import {
  Clock, liveConfig, manual, advance, routeOf, answer, ok200, rulesDoc, onlyCallout, metric, warnings,
  assertTokenNeverLogged,
} from '../helpers/rules.ts';

const start = startsClosedAfterTests();
const GOOD = rulesDoc('v1', { dev: 'good-dev.svc', qa: 'good-qa.svc' });

/** A plugin whose rules are version v1 (fetched at 250 ms, next fetch due at 1250 ms). */
async function withGoodRules(service: Record<string, unknown> = {}): Promise<{ p: Plugin; clock: Clock }> {
  const clock = new Clock();
  const p = await start(liveConfig(service), manual(clock, { logLevel: 'debug' }));
  advance(p, clock, 250);
  answer(p, ok200(GOOD, '"e1"'));
  assert.equal(routeOf(p, 'dev'), 'good-dev.svc');
  return { p, clock };
}

const FAILURES: Array<{ name: string; response: CalloutResponse | 'reset' | 'timeout'; reason: string; says: RegExp }> = [
  { name: 'a reset (no headers)', response: 'reset', reason: 'connect', says: /the connection was reset/ },
  { name: "Envoy's 503 (no connection)", response: { status: 503, body: 'upstream connect error' }, reason: 'connect', says: /status 503/ },
  { name: "Envoy's 504 (timeout)", response: 'timeout', reason: 'timeout', says: /status 504/ },
  { name: 'status 500', response: { status: 500, body: 'oops' }, reason: 'status', says: /status 500/ },
  { name: 'status 404', response: { status: 404 }, reason: 'status', says: /status 404/ },
  { name: 'a redirect', response: { status: 302, headers: [['location', '/x']] }, reason: 'status', says: /status 302/ },
  { name: 'a body over maxBytes', response: ok200(rulesDoc('v2', { dev: 'x'.repeat(5000) + '.svc' })), reason: 'too_large', says: /over maxBytes 4096/ },
  { name: 'invalid JSON', response: ok200('{"version":"v2","routes":[{'), reason: 'invalid', says: /invalid document: document: invalid JSON/ },
  { name: 'an empty body', response: ok200(''), reason: 'invalid', says: /invalid document/ },
  { name: 'binary junk', response: { status: 200, body: new Uint8Array([0xff, 0x00, 0xfe, 0x7b, 0x22]) }, reason: 'invalid', says: /invalid document/ },
  { name: 'a schema error', response: ok200('{"version":"v2","routes":[{"name":"a","keys":["a"],"destination":"x:0"}]}'), reason: 'invalid', says: /routes\[0\]\.destination: expected a port/ },
  { name: 'duplicate keys', response: ok200(JSON.stringify({ version: 'v2', routes: [{ name: 'a', keys: ['k'], destination: 'a' }, { name: 'b', keys: ['k'], destination: 'b' }] })), reason: 'invalid', says: /already used by route "a"/ },
  { name: 'no version', response: ok200('{"routes":[]}'), reason: 'invalid', says: /missing required field "version"/ },
  { name: 'a configuration instead of a document', response: ok200('{"key":"x-env","routes":[]}'), reason: 'invalid', says: /unknown field/ },
];

for (const f of FAILURES) {
  test(`${f.name}: keeps version v1, one warn line, counted as ${f.reason}`, async () => {
    const { p, clock } = await withGoodRules({ maxBytes: 4096 });
    advance(p, clock, 1000);
    const before = warnings(p).length;
    const d = answer(p, f.response);
    const lines = warnings(p).slice(before);
    assert.equal(lines.length, 1, `one warn line: ${JSON.stringify(lines)}`);
    assert.match(lines[0]!, f.says);
    assert.match(lines[0]!, /keeping rules version 'v1'/);
    assert.match(lines[0]!, new RegExp(`rules fetch failed \\(${f.reason}\\)`));
    assert.equal(d.logs.filter((l) => l.level === 'warn').length, 1);
    assert.equal(metric(p, `routekey.rules.fetch.failed.reason.${f.reason}`), 1);
    for (const other of ['connect', 'timeout', 'status', 'too_large', 'invalid'].filter((r) => r !== f.reason)) {
      assert.equal(metric(p, `routekey.rules.fetch.failed.reason.${other}`), 0, other);
    }
    // Requests keep being routed by v1, on every kind of key.
    assert.equal(routeOf(p, 'dev'), 'good-dev.svc');
    assert.equal(routeOf(p, 'qa'), 'good-qa.svc');
    assert.equal(routeOf(p, 'nobody'), 'app.local');
    assert.equal(metric(p, 'routekey.rules.swap'), 1);
    assert.deepEqual(p.failures(), []);
    assertTokenNeverLogged(p);
  });
}

test('a failure before the first document keeps the inline routes and says so', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  advance(p, clock, 250);
  answer(p, { status: 500 });
  assert.match(warnings(p).at(-1)!, /keeping the configuration's routes/);
  assert.equal(routeOf(p, 'dev'), 'inline.svc');
});

/** Delay from a failed answer to the next callout, in ms (ticks of 250 ms). */
function nextCalloutAfter(p: Plugin, clock: Clock, limitMs = 20000): number {
  const t0 = clock.now;
  while (clock.now - t0 < limitMs) {
    advance(p, clock, 250);
    if (p.pendingCallouts().length > 0) return clock.now - t0;
  }
  return Infinity;
}

test('retries back off exponentially with jitter up to 8 periods, and return to the period after a success', async () => {
  const { p, clock } = await withGoodRules();
  advance(p, clock, 1000);
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    answer(p, { status: 500 });
    delays.push(nextCalloutAfter(p, clock));
  }
  // 2, 4, 8, 8, 8, 8 periods of 1000 ms, each jittered down by at most a quarter (ticks: +250).
  const expected = [2000, 4000, 8000, 8000, 8000, 8000];
  delays.forEach((d, i) => {
    assert.ok(d >= expected[i]! * 0.75 && d <= expected[i]! + 250, `retry ${i + 1} after ${d} ms: ${delays.join(', ')}`);
  });
  assert.ok(delays[2]! > delays[0]!, 'it grows');
  answer(p, { status: 304 });
  assert.equal(nextCalloutAfter(p, clock), 1000, 'back to the period after a success');
  answer(p, { status: 304 });
  assert.equal(nextCalloutAfter(p, clock), 1000);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.status'), 6);
});

test('a flapping server: good, broken, good again — requests always routed, each good version swapped once', async () => {
  const { p, clock } = await withGoodRules();
  const answers: Array<CalloutResponse | 'reset'> = [
    'reset', ok200(rulesDoc('v2', { dev: 'v2.svc' }), '"e2"'), { status: 502 }, ok200('nonsense'),
    ok200(rulesDoc('v3', { dev: 'v3.svc' }), '"e3"'), 'reset', { status: 304 },
  ];
  const expectRoute = ['good-dev.svc', 'v2.svc', 'v2.svc', 'v2.svc', 'v3.svc', 'v3.svc', 'v3.svc'];
  answers.forEach((a, i) => {
    nextCalloutAfter(p, clock);
    answer(p, a);
    assert.equal(routeOf(p, 'dev'), expectRoute[i], `after answer ${i}`);
  });
  assert.equal(metric(p, 'routekey.rules.swap'), 3);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.connect'), 2);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.status'), 1);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.invalid'), 1);
  assert.equal(warnings(p).length, 4, 'one line per failed fetch');
  assert.deepEqual(p.failures(), []);
});

test('a server that never answers: given up on past the timeout, counted once, then retried', async () => {
  const { p, clock } = await withGoodRules();
  advance(p, clock, 1000);
  const stuck = onlyCallout(p);
  advance(p, clock, 500 + 1000 + 5000 + 250);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.timeout'), 1);
  assert.match(warnings(p).at(-1)!, /no answer within the timeout; keeping rules version 'v1'/);
  assert.equal(routeOf(p, 'dev'), 'good-dev.svc');
  // Its late answer is not taken for the next fetch's.
  p.deliverCallout(stuck.token, ok200(rulesDoc('late', { dev: 'late.svc' })), stuck.vm);
  assert.equal(routeOf(p, 'dev'), 'good-dev.svc');
});

test('an unknown cluster (the host refuses the call) is a connect failure, logged and backed off', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock, { clusters: () => undefined }));
  advance(p, clock, 250);
  assert.deepEqual(p.pendingCallouts(), []);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.connect'), 1);
  assert.match(warnings(p).at(-1)!, /the host refused the call/);
  // host/lib flags the call as Envoy would refuse it (BadArgument): that is the point here.
  assert.deepEqual(p.violations().map((v) => v.message), ['proxy_http_call: unknown cluster "routekey-rules"']);
  const s = p.createStream();
  const out = s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'dev']], true);
  s.complete();
  assert.equal(header(out.headers, ':authority'), 'inline.svc');
  advance(p, clock, 1000);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.connect'), 1, 'backed off: no retry within a period');
  assertTokenNeverLogged(p);
});

test('no bytes a rules server sends make the filter trap: 300 mutated documents, every one kept or refused', async () => {
  const { p, clock } = await withGoodRules({ maxBytes: 1 << 16 });
  const base = Buffer.from(rulesDoc('v1', { dev: 'good-dev.svc', qa: 'good-qa.svc' }, { default: { requestHeaders: { set: { 'x-a': '1' } } } }));
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return seed % n; };
  let refused = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(base);
    for (let k = 0, n = 1 + rand(4); k < n; k++) bytes[rand(bytes.length)] = rand(256);
    const body = rand(10) === 0 ? bytes.subarray(0, rand(bytes.length)) : bytes;
    advance(p, clock, 250);
    while (p.pendingCallouts().length === 0) advance(p, clock, 250);
    const before = warnings(p).length;
    answer(p, { status: 200, body: new Uint8Array(body) });
    refused += warnings(p).length - before;
    // Whatever happened, requests are routed by a complete rule set: v1 or a valid mutation of it.
    const r = routeOf(p, 'nobody');
    assert.ok(r !== undefined);
  }
  assert.ok(refused > 200, `most mutations are refused (${refused})`);
  assert.deepEqual(p.failures(), []);
});
