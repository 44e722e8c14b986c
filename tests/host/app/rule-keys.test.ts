// The probe inputs of `routekey run --rules` and `routekey validate` (host/app/rule-keys.ts,
// destinations.ts): each route's first key carried the way its first key source reads it
// (header, baggage, tracestate, cookie, query), a prefix route by its prefix, a route scoped with
// `hosts` asked with its first host as :authority; and the baselines `run --rules` serves (an
// --upstream no destination names gets a virtual host of its own name).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { wasmIsStale } from '../../../host/app/demo/index.ts';
import { ruleKeys } from '../../../host/app/rule-keys.ts';
import { routeDestinations } from '../../../host/app/destinations.ts';
import { runMain, scratchFiles } from './harness.ts';

const skip = wasmIsStale() ? 'build/routekey.wasm is missing or stale (npm run build)' : false;

const scoped = (key: unknown) => JSON.stringify({
  key,
  routes: [
    { name: 'cart-alice', keys: ['alice'], hosts: ['cart', 'cart.shop'], destination: 'cart-alice:8080' },
    { name: 'pr', prefixes: ['pr-'], destination: 'preview.svc' },
    { name: 'tag', keys: ['a b'], requestHeaders: { set: { 'x-tag': '1' } } },
  ],
});

test('ruleKeys: how the first source carries a key; the first key or prefix; the first host', () => {
  const cases: Array<[unknown, string, string]> = [
    ['X-Env', 'x-env', 'a b'],
    ['Host', ':authority', 'a b'],
    [[{ header: 'x-sandbox' }, { baggage: 'routing-key' }], 'x-sandbox', 'a b'],
    [[{ baggage: 'routing-key', lowercase: true }], 'baggage', 'routing-key=a%20b'],
    [[{ tracestate: 'acme@sandbox' }], 'tracestate', 'acme@sandbox=a b'],
    [[{ cookie: 'sandbox' }], 'cookie', 'sandbox=a b'],
    [[{ query: 'sand box' }], ':path', '/?sand%20box=a%20b'],
  ];
  for (const [key, header, carried] of cases) {
    const k = ruleKeys(scoped(key));
    assert.equal(k.header, header, JSON.stringify(key));
    assert.equal(k.carry('a b'), carried, JSON.stringify(key));
  }
  assert.deepEqual(ruleKeys(scoped('x')).routes, [
    { route: 'cart-alice', key: 'alice', host: 'cart' },
    { route: 'pr', key: 'pr-', host: undefined },
    { route: 'tag', key: 'a b', host: undefined },
  ]);
  // A route without a name is named after its first key, or its first prefix.
  assert.deepEqual(ruleKeys('{"key":"x","routes":[{"prefixes":["pr-"],"destination":"p"}]}').routes, [{ route: 'pr-', key: 'pr-', host: undefined }]);
});

describe('destinations through the built filter', { skip }, () => {
  test('every key source: each route is taken by its probe and its authority is found', async () => {
    for (const key of [[{ baggage: 'routing-key' }], [{ cookie: 'sandbox' }], [{ query: 'sandbox' }], [{ tracestate: 'acme@sandbox' }], 'x-env']) {
      const d = await routeDestinations('t', scoped(key));
      assert.deepEqual(d.map((x) => [x.route, x.authority, x.host]), [
        ['cart-alice', 'cart-alice:8080', 'cart'],
        ['pr', 'preview.svc', undefined],
        ['tag', undefined, undefined],
        ['passthrough', undefined, undefined],
      ], JSON.stringify(key));
    }
  });

  const file = scratchFiles('routekey-rule-keys-');
  test('run --rules: baselines get a virtual host of their name; the curl lines carry the key and the host', async () => {
    const rules = file('sandbox.json', scoped([{ baggage: 'routing-key' }]));
    const ups = ['cart=1', 'payments=2', 'cart-alice=3', 'preview=4'].flatMap((u) => ['--upstream', u]);
    const r = await runMain('run', '--rules', rules, ...ups, '--print-envoy');
    assert.equal(r.code, 0, r.err);
    const hcm = parse(r.out).static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const vhosts = hcm.route_config.virtual_hosts.map((v: { domains: string[]; routes: Array<{ route: { cluster: string } }> }) => [v.domains.join(' '), v.routes[0]!.route.cluster]);
    assert.deepEqual(vhosts, [
      ['cart-alice:8080', 'cart-alice'], ['preview.svc preview.svc:*', 'preview'], ['cart cart:*', 'cart'], ['payments payments:*', 'payments'],
    ]);
    assert.equal(r.err, "routekey: note: tag, passthrough: keeps the client's Host, and without --upstream default=HOST:PORT such requests get a 404 " +
      'unless their Host names an --upstream (cart, payments)');
  });
});
