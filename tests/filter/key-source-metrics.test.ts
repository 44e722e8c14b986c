// The key source counters through the built module (issue 9 item 7): one counter per configured
// key source, routekey.keyed.key_source.<kind>.<name>, counted when that source yielded the
// request's key (assembly/filter/metrics.ts; Envoy's stats_tags make it a `key_source` label,
// tests/deploy/key-source-tags.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header, counter } from '../helpers/routekey.ts';
import type { Plugin } from '../../host/lib/api.ts';

const start = startsClosedAfterTests();

const CONFIG = {
  key: [
    { baggage: 'routing-key' },
    { tracestate: 'acme@sb' },
    { cookie: 'sandbox' },
    { query: 'sb' },
    { header: 'x-env' },
  ],
  routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc' }],
  default: { destination: 'baseline.svc' },
};

type H = Array<[string, string]>;
const go = (p: Plugin, h: H, path = '/') =>
  header(request(p, [[':authority', 'app'], [':method', 'GET'], [':path', path], ...h]).req.headers, ':authority');
/** Every key source counter Envoy holds, by name without the prefix. */
const keyed = (p: Plugin) => {
  p.fireTicks();
  const prefix = 'wasmcustom.routekey.keyed.key_source.';
  return Object.fromEntries(p.metrics().filter((m) => m.name.startsWith(prefix)).map((m) => [m.name.slice(prefix.length), m.value]));
};

/** rules/metric.ts metricSafe's suffix: FNV-1a over the UTF-16 code units, 8 hex digits. */
function fnv(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

test('the source that yielded the key is counted, by kind and name; no key counts none', async () => {
  const p = await start(CONFIG);
  assert.deepEqual(keyed(p), {}, 'defined on first count, like route counters');
  go(p, [['baggage', 'routing-key=dev'], ['x-env', 'dev']]);
  go(p, [['baggage', 'other=1'], ['x-env', 'dev']]);
  go(p, [['x-env', 'nope']]);
  go(p, [['cookie', 'sandbox=dev']]);
  go(p, [], '/?sb=dev');
  assert.deepEqual(keyed(p), { 'baggage.routing-key': 1, 'header.x-env': 2, 'cookie.sandbox': 1, 'query.sb': 1 });
  assert.equal(counter(p, 'routekey.unknown_key'), 1, 'a key that matches nothing still came from its source');

  // No key at all (a baggage without the member, an empty header): no source counter moves.
  assert.equal(go(p, [['baggage', 'xrouting-key=dev'], ['x-env', '']]), 'baseline.svc');
  go(p, []);
  assert.deepEqual(keyed(p), { 'baggage.routing-key': 1, 'header.x-env': 2, 'cookie.sandbox': 1, 'query.sb': 1 });
  assert.equal(counter(p, 'routekey.default'), 3, 'these two and the unknown key (which takes the default)');

  // A name that is not metric-safe is made so the way route names are (tracestate `acme@sb`).
  go(p, [['tracestate', 'acme@sb=dev']]);
  assert.equal(keyed(p)[`tracestate.acme_sb_${fnv('acme@sb')}`], 1);
  assert.deepEqual(p.violations(), []);
});

test('counts stay with their source across a table swap that reorders the sources', async () => {
  const p = await start(CONFIG, { clock: () => 0 });
  go(p, [['x-env', 'dev']]);
  go(p, [['baggage', 'routing-key=dev']]);
  // Not flushed yet: the swap flushes the old table's counts under the old table's names.
  await p.reconfigure(JSON.stringify({ ...CONFIG, key: [{ header: 'x-env' }, { cookie: 'sandbox' }] }));
  go(p, [['x-env', 'dev'], ['baggage', 'routing-key=dev']]);
  go(p, [['cookie', 'sandbox=x']]);
  assert.deepEqual(keyed(p), { 'baggage.routing-key': 1, 'header.x-env': 2, 'cookie.sandbox': 1 });
  assert.deepEqual(p.violations(), []);
});

test('a single header `key` is a header source; counting adds no host call per request', async () => {
  let now = 0;
  const p = await start({ ...CONFIG, key: 'X-Env' }, { clock: () => now });
  go(p, [['x-env', 'dev']]);
  const before = p.hostCalls().length;
  for (let i = 0; i < 5; i++) go(p, [['x-env', 'dev']]);
  const calls = p.hostCalls().slice(before).map((c) => c.name);
  assert.ok(!calls.some((n) => n.includes('metric')), `no metric call per request: ${calls.join(', ')}`);
  now = 1000;
  p.tick();
  assert.deepEqual(keyed(p), { 'header.x-env': 6 }, 'the header name as Envoy gives it: lower-case');
});
