// The rules version header (`versionHeader`, README "Live rules"): through the built module, the
// version of the table a stream DECIDED with — "inline" for the configuration's own routes, a
// document's `version` once fetched or adopted — kept across a swap that happens mid-stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, header, all, request } from '../helpers/routekey.ts';
import type { Plugin } from '../../host/lib/api.ts';
import { Clock, liveConfig, manual, advance, answer, ok200, rulesDoc, metric } from '../helpers/rules.ts';

const start = startsClosedAfterTests();
const VERSION = 'x-routekey-rules-version';
const ROUTE = 'x-routekey-route';

/** One request with `x-env: key`: the response headers the filter left. */
function respond(p: Plugin, key: string) {
  const { resp } = request(p, [[':authority', 'app.local'], [':path', '/'], ['x-env', key]]);
  return resp.headers;
}

test('inline rules: the configuration\'s own routes report "inline", on every decision', async () => {
  const p = await start({
    key: 'x-env',
    routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc' }],
    decisionHeader: ROUTE,
    versionHeader: 'X-Routekey-Rules-Version', // lower-cased like decisionHeader
  });
  for (const key of ['dev', 'nope']) {
    const h = respond(p, key);
    assert.deepEqual(all(h, VERSION), ['inline'], `key ${key}: one header`);
  }
  assert.equal(header(respond(p, 'dev'), ROUTE), 'dev');
  assert.equal(header(respond(p, 'nope'), ROUTE), 'none', 'a passthrough decision carries the version too');
});

test('no versionHeader: no version header, inline or fetched', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { decisionHeader: ROUTE }), manual(clock));
  assert.equal(header(respond(p, 'dev'), VERSION), undefined);
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v7', { qa: 'qa.svc' })));
  const h = respond(p, 'qa');
  assert.equal(header(h, ROUTE), 'qa');
  assert.ok(!h.some(([k]) => k.includes('version')), `no version header: ${JSON.stringify(h)}`);
});

test('fetched rules: a new stream reports the document\'s version; one that decided before the swap to v8 reports v7', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { decisionHeader: ROUTE, versionHeader: VERSION }), manual(clock));
  assert.equal(header(respond(p, 'dev'), VERSION), 'inline', 'before the first document');

  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v7', { qa: 'qa-v7.svc' }), '"e7"'));
  assert.equal(header(respond(p, 'qa'), VERSION), 'v7');

  // Its request headers run against v7, then v8 is swapped in before its response.
  const old = p.createStream();
  const req = old.onRequestHeaders([[':authority', 'app.local'], [':path', '/'], ['x-env', 'qa']], true);
  assert.equal(header(req.headers, ':authority'), 'qa-v7.svc');
  advance(p, clock, 1000);
  answer(p, ok200(rulesDoc('v8', { qa: 'qa-v8.svc', pr: 'pr.svc' }), '"e8"'));
  assert.equal(metric(p, 'routekey.rules.swap'), 2);

  // A stream that starts after the swap, answered before the old one.
  const h8 = respond(p, 'pr');
  assert.equal(header(h8, VERSION), 'v8');
  assert.equal(header(h8, ROUTE), 'pr');

  const resp = old.onResponseHeaders([[':status', '200']], true);
  old.complete();
  assert.equal(header(resp.headers, VERSION), 'v7', 'the version it decided with, not the one in force');
  assert.equal(header(resp.headers, ROUTE), 'qa');
  assert.deepEqual(p.violations(), []);
  assert.deepEqual(p.failures(), []);
});

test('adopted rules: the worker that did not fetch reports the published version', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { versionHeader: VERSION }), manual(clock, { workers: 2 }));
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('2026-12-01.7', { qa: 'qa.svc' }), '"e1"'));
  advance(p, clock, 250); // the other worker adopts on its tick
  assert.equal(metric(p, 'routekey.rules.swap'), 2, 'both workers swapped');
  // Streams go round-robin over the two workers.
  assert.deepEqual([respond(p, 'qa'), respond(p, 'qa')].map((h) => header(h, VERSION)), ['2026-12-01.7', '2026-12-01.7']);
});

test('initial passthrough: no version header until the first document (no rules decided)', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ initial: 'passthrough' }, { versionHeader: VERSION }), manual(clock));
  assert.equal(header(respond(p, 'dev'), VERSION), undefined);
  advance(p, clock, 250);
  answer(p, ok200(rulesDoc('v1', {})));
  assert.equal(header(respond(p, 'dev'), VERSION), 'v1');
});

test('memory stays flat over 1000 swaps with a 128-character version in the header', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { versionHeader: VERSION }), manual(clock, { recordHostCalls: false }));
  const version = (v: number) => `v${v}-`.padEnd(128, 'x');
  const sizes: number[] = [];
  for (let v = 0; v < 1000; v++) {
    advance(p, clock, 1000, 1000);
    for (const c of p.pendingCallouts()) p.deliverCallout(c.token, ok200(rulesDoc(version(v), { qa: 'qa.svc' })), c.vm);
    if (v === 100 || v === 999) sizes.push(p.memoryBytes());
  }
  assert.equal(metric(p, 'routekey.rules.swap'), 1000);
  assert.equal(header(respond(p, 'qa'), VERSION), version(999));
  assert.equal(sizes[1], sizes[0], `memory after warm-up ${sizes[0]} and after 1000 swaps ${sizes[1]}`);
});
