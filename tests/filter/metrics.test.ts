// Decision counters batched in the VM (assembly/filter/metrics.ts): no host call per request for
// counting; the counts reach Envoy by delta on the 1 s tick, on a table swap and when the root
// context is done, so none is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header } from '../helpers/routekey.ts';
import { Clock, liveConfig, manual, advance, answer, ok200, rulesDoc, routeOf } from '../helpers/rules.ts';
import type { Plugin } from '../../host/lib/api.ts';

const start = startsClosedAfterTests();
const CONFIG = {
  key: 'x-env',
  routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc', requestHeaders: { set: { 'x-routed': 'dev' } } }],
  default: { destination: 'baseline.svc' },
};
const go = (p: Plugin, key?: string) =>
  request(p, [[':authority', 'app'], [':path', '/'], ...(key === undefined ? [] : [['x-env', key] as [string, string]])]);
/** The stored value, without firing any tick. */
const stored = (p: Plugin, name: string) => p.metrics().find((m) => m.name === `wasmcustom.${name}`)?.value;

test('a request makes no counter call: routed = key read + its writes, default = key read + the default\'s write', async () => {
  const p = await start(CONFIG);
  const callsOf = (key: string) => {
    const before = p.hostCalls().length;
    go(p, key);
    return p.hostCalls().slice(before).map((c) => c.name).filter((n) => n.startsWith('proxy_') &&
      !['proxy_on_context_create', 'proxy_on_done', 'proxy_on_log', 'proxy_on_delete'].includes(n));
  };
  assert.deepEqual(callsOf('dev'), ['proxy_get_header_map_value', 'proxy_replace_header_map_value', 'proxy_replace_header_map_value'],
    'key read, :authority, x-routed');
  assert.deepEqual(callsOf('nope'), ['proxy_get_header_map_value', 'proxy_replace_header_map_value'], 'key read, :authority');
});

test('counts appear after the tick, by delta, and lag by at most one tick', async () => {
  let now = 0;
  const p = await start(CONFIG, { clock: () => now });
  for (let i = 0; i < 3; i++) go(p, 'dev');
  go(p, 'nope');
  go(p);
  assert.equal(stored(p, 'routekey.routed.route.dev'), undefined, 'not defined before the flush');
  assert.equal(stored(p, 'routekey.unknown_key'), 0, 'the fixed counters are defined on configure');
  now = 1000;
  p.tick();
  assert.equal(stored(p, 'routekey.routed.route.dev'), 3);
  assert.equal(stored(p, 'routekey.default'), 2);
  assert.equal(stored(p, 'routekey.unknown_key'), 1, 'a key present that matched nothing; an absent key is not unknown');
  assert.equal(stored(p, 'routekey.passthrough'), 0);
  assert.equal(stored(p, 'routekey.local_reply'), 0);
  go(p, 'dev');
  const before = p.hostCalls().length;
  now = 2000;
  p.tick();
  const flushed = p.hostCalls().slice(before).filter((c) => c.name === 'proxy_increment_metric');
  assert.equal(flushed.length, 2, 'one increment per counter that moved: the route and the key source');
  assert.equal(stored(p, 'routekey.routed.route.dev'), 4);
  assert.equal(stored(p, 'routekey.keyed.key_source.header.x-env'), 5, 'every request that carried a key');
  assert.deepEqual(p.violations(), []);
});

test('no count is lost across a reconfiguration: the old root flushes when it is done', async () => {
  const p = await start(CONFIG, { clock: () => 0 });
  go(p, 'dev');
  go(p, 'dev');
  go(p, 'nope');
  await p.reconfigure(JSON.stringify({ ...CONFIG, default: { destination: 'other.svc' } }));
  assert.equal(stored(p, 'routekey.routed.route.dev'), 2);
  assert.equal(stored(p, 'routekey.default'), 1);
  assert.equal(header(go(p, 'nope').req.headers, ':authority'), 'other.svc');
  p.fireTicks();
  assert.equal(stored(p, 'routekey.default'), 2);
  assert.deepEqual(p.violations(), []);
});

test('no count is lost across a live-rules swap: the old table\'s counts are flushed before it is retired', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  routeOf(p, 'dev');
  routeOf(p, 'dev');
  advance(p, clock, 250); // the first fetch goes out; the 1 s flush is not due yet
  assert.equal(stored(p, 'routekey.routed.route.inline'), undefined);
  answer(p, ok200(rulesDoc('v1', { dev: 'live-dev.svc' }), '"e1"'));
  assert.equal(stored(p, 'routekey.routed.route.inline'), 2, 'flushed by the swap');
  assert.equal(routeOf(p, 'dev'), 'live-dev.svc');
  advance(p, clock, 1000);
  assert.equal(stored(p, 'routekey.routed.route.dev'), 1);
  assert.equal(stored(p, 'routekey.routed.route.inline'), 2);
});

test('memory stays flat while counts accumulate and are flushed', async () => {
  let now = 0;
  const p = await start(CONFIG, { clock: () => now, recordHostCalls: false });
  const round = () => {
    for (let i = 0; i < 500; i++) go(p, i % 3 === 0 ? 'dev' : i % 3 === 1 ? 'nope' : undefined as unknown as string);
    now += 1000;
    p.tick();
  };
  round();
  const settled = p.memoryBytes();
  for (let r = 0; r < 10; r++) round();
  assert.equal(p.memoryBytes(), settled);
  assert.equal(stored(p, 'routekey.routed.route.dev'), 11 * 167);
});
