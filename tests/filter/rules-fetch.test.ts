// Live rules, one worker, manual callouts and an injected clock (assembly/fetch/): the first
// fetch, a change, 304s, passthrough before the first document, long-poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, header } from '../helpers/routekey.ts';
import {
  Clock, TOKEN, liveConfig, manual, advance, routeOf, answer, ok200, rulesDoc, onlyCallout, metric,
  assertTokenNeverLogged,
} from '../helpers/rules.ts';

const start = startsClosedAfterTests();

test('the first fetch replaces the inline rules; the callout is a GET with :path, :authority and the extra headers', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  assert.equal(routeOf(p, 'dev'), 'inline.svc', 'the inline routes serve before the first document');
  assert.deepEqual(p.pendingCallouts(), [], 'no fetch before the first tick');
  advance(p, clock, 250);
  const c = onlyCallout(p);
  assert.equal(c.cluster, 'routekey-rules');
  assert.equal(header(c.headers, ':method'), 'GET');
  assert.equal(header(c.headers, ':path'), '/rules.json');
  assert.equal(header(c.headers, ':authority'), 'rules.local');
  assert.equal(header(c.headers, 'authorization'), TOKEN);
  assert.equal(header(c.headers, 'if-none-match'), undefined, 'no ETag known yet');
  assert.equal(header(c.headers, 'prefer'), undefined, 'long-poll is off');
  assert.equal(c.timeoutMs, 500);
  answer(p, ok200(rulesDoc('v1', { dev: 'live-dev.svc', qa: 'live-qa.svc' }), '"e1"'));
  assert.equal(routeOf(p, 'dev'), 'live-dev.svc');
  assert.equal(routeOf(p, 'qa'), 'live-qa.svc');
  assert.equal(metric(p, 'routekey.rules.fetch.attempt'), 1);
  assert.equal(metric(p, 'routekey.rules.fetch.success'), 1);
  assert.equal(metric(p, 'routekey.rules.swap'), 1);
  assert.equal(metric(p, 'routekey.rules.routes'), 2);
  assert.equal(metric(p, 'routekey.rules.generation'), 1);
  assert.ok(p.logs.some((l) => l.message === "routekey: rules version 'v1' fetched (2 routes, no default)"));
  assertTokenNeverLogged(p);
});

test('a change is swapped in; an unchanged document costs a 304 with If-None-Match and no parse', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', { dev: 'one.svc' }), '"e1"'));
  advance(p, clock, 750);
  assert.deepEqual(p.pendingCallouts(), [], 'the next fetch waits for the period');
  advance(p, clock, 250);
  assert.equal(header(onlyCallout(p).headers, 'if-none-match'), '"e1"');
  const before = p.hostCalls().length;
  answer(p, { status: 304 });
  const during = p.hostCalls().slice(before).map((c) => c.name);
  assert.ok(!during.includes('proxy_get_buffer_bytes'), `no body read on a 304: ${during.join(', ')}`);
  assert.equal(metric(p, 'routekey.rules.fetch.not_modified'), 1);
  assert.equal(metric(p, 'routekey.rules.swap'), 1, 'a 304 swaps nothing');
  assert.equal(routeOf(p, 'dev'), 'one.svc');
  advance(p, clock, 1000);
  answer(p, ok200(rulesDoc('v2', { dev: 'two.svc' }), '"e2"'));
  assert.equal(routeOf(p, 'dev'), 'two.svc');
  assert.equal(metric(p, 'routekey.rules.swap'), 2);
  assert.equal(metric(p, 'routekey.rules.generation'), 2);
  advance(p, clock, 1000);
  assert.equal(header(onlyCallout(p).headers, 'if-none-match'), '"e2"');
});

test('the same version again (a server without ETags) swaps nothing', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', { dev: 'one.svc' })));
  advance(p, clock, 1000);
  assert.equal(header(onlyCallout(p).headers, 'if-none-match'), undefined);
  answer(p, ok200(rulesDoc('v1', { dev: 'one.svc' })));
  assert.equal(metric(p, 'routekey.rules.fetch.success'), 2);
  assert.equal(metric(p, 'routekey.rules.swap'), 1);
});

test('initial passthrough: requests pass unchanged until the first document', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ initial: 'passthrough' }), manual(clock));
  assert.equal(routeOf(p, 'dev'), 'app.local', 'the inline route is not used');
  assert.equal(metric(p, 'routekey.rules.routes'), 0, 'no routes in force');
  advance(p, clock, 250);
  answer(p, 'reset');
  assert.equal(routeOf(p, 'dev'), 'app.local');
  assert.match(p.logs.at(-1)!.message, /keeping no rules \(requests pass unchanged\)/);
  advance(p, clock, 2500);
  answer(p, ok200(rulesDoc('v1', { dev: 'live.svc' })));
  assert.equal(routeOf(p, 'dev'), 'live.svc');
});

test('a configuration with a rules service needs no routes', async () => {
  const clock = new Clock();
  const { routes: _routes, ...config } = liveConfig();
  const p = await start(config, manual(clock));
  assert.equal(routeOf(p, 'dev'), 'app.local');
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', {}, { default: { destination: 'baseline.svc' } })));
  assert.equal(routeOf(p, 'anything'), 'baseline.svc');
  assert.equal(metric(p, 'routekey.rules.routes'), 0);
});

test('the decision header of the configuration names routes of the document', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { decisionHeader: 'x-routekey-route' }), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', { qa: 'qa.svc' })));
  const s = p.createStream();
  s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'qa']], true);
  const resp = s.onResponseHeaders([[':status', '200']], true);
  s.complete();
  assert.equal(header(resp.headers, 'x-routekey-route'), 'qa');
});

test('long-poll: prefer wait=N and the longer timeout; an early answer and a 304 at the end of the wait each start the next poll at once', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ longPollSeconds: 30 }), manual(clock));
  advance(p, clock, 250);
  let c = onlyCallout(p);
  assert.equal(header(c.headers, 'prefer'), 'wait=30');
  assert.equal(c.timeoutMs, 30 * 1000 + 500);
  answer(p, ok200(rulesDoc('v1', { dev: 'one.svc' }), '"e1"'));
  // Answered at once (the first request of a long-poll server has no version to wait on):
  // the next poll is already out, carrying the ETag.
  c = onlyCallout(p);
  assert.equal(header(c.headers, 'if-none-match'), '"e1"');
  // The server holds it; the rules change after 3 s: answered early, swapped, polled again.
  advance(p, clock, 3000);
  assert.equal(p.pendingCallouts().length, 1, 'still the one poll: nothing more while it is held');
  answer(p, ok200(rulesDoc('v2', { dev: 'two.svc' }), '"e2"'));
  assert.equal(routeOf(p, 'dev'), 'two.svc');
  c = onlyCallout(p);
  assert.equal(header(c.headers, 'if-none-match'), '"e2"');
  // The wait ends with nothing new: 304, and the next poll goes out at once.
  advance(p, clock, 30000);
  answer(p, { status: 304 });
  assert.equal(onlyCallout(p).token !== c.token, true, 'a new poll');
  assert.equal(metric(p, 'routekey.rules.fetch.not_modified'), 1);
  assert.equal(metric(p, 'routekey.rules.fetch.attempt'), 4);
});

test('long-poll against a plain server (Prefer ignored, quick 304s) falls back to polling once a period', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ longPollSeconds: 30 }), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', { dev: 'one.svc' }), '"e1"'));
  answer(p, { status: 304 }); // the immediate re-poll, answered at once
  assert.deepEqual(p.pendingCallouts(), [], 'no tight loop');
  advance(p, clock, 1000);
  answer(p, { status: 304 });
  assert.equal(metric(p, 'routekey.rules.fetch.attempt'), 3);
});

test('long-poll errors still back off', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ longPollSeconds: 30 }), manual(clock));
  advance(p, clock, 250);
  answer(p, { status: 500 });
  assert.deepEqual(p.pendingCallouts(), []);
  advance(p, clock, 1250);
  assert.deepEqual(p.pendingCallouts(), [], 'backed off past one period');
});
