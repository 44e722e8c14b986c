// Optional route names (issue 9 item 6): a route without "name" is named after its first key, in
// the decision header and the per-route counter, inline and in a live rules document; the README
// example runs here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header, counter } from '../helpers/routekey.ts';
import { Clock, liveConfig, manual, advance, answer, ok200 } from '../helpers/rules.ts';
import { readmeJsonBlocks } from '../deploy/deploy-helpers.ts';

const start = startsClosedAfterTests();

function readmeExample(): string {
  const block = readmeJsonBlocks().find((b) => b.text.includes('"keys": ["pr-7"]'));
  assert.ok(block, 'README has the optional-name example');
  return block.text;
}

test('README example: routes without a name are named after their first key', async () => {
  const p = await start(readmeExample());
  for (const [key, authority, name] of [['pr-7', 'pr-7.svc:8080', 'pr-7'], ['test', 'qa.svc', 'qa'], ['qa', 'qa.svc', 'qa']]) {
    const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', key]]);
    assert.equal(header(r.req.headers, ':authority'), authority, key);
    assert.equal(header(r.resp.headers, 'x-routekey-route'), name, key);
  }
  assert.equal(counter(p, 'routekey.routed.route.pr-7'), 1);
  assert.equal(counter(p, 'routekey.routed.route.qa'), 2);
});

test('a live rules document may leave names out too; a default name is unique like an explicit one', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { decisionHeader: 'x-routekey-route' }), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(JSON.stringify({ version: 'v1', routes: [{ keys: ['qa'], destination: 'qa.svc' }] })));
  const s = p.createStream();
  s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'qa']], true);
  const resp = s.onResponseHeaders([[':status', '200']], true);
  s.complete();
  assert.equal(header(resp.headers, 'x-routekey-route'), 'qa');

  const refused = (re: RegExp) => (e: any) => { assert.match(e.logs.map((l: any) => l.message).join('\n'), re); return true; };
  await assert.rejects(start({ key: 'x', routes: [{ name: 'qa', keys: ['a'], destination: 'a.svc' }, { keys: ['qa'], destination: 'b.svc' }] }),
    refused(/routes\[1\]: name "qa" is already used by routes\[0\]/));
  await assert.rejects(start({ key: 'x', routes: [{ keys: ['a b'], destination: 'a.svc' }] }), refused(/routes\[0\]: expected "name"/));
});
