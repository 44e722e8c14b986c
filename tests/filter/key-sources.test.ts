// Key sources through the built module (issue 9 item 1): routing by a baggage member, a
// tracestate member, a cookie and a query parameter, in the configured order (the first source
// that yields a key wins), the per-source options, one header read per source tried, and flat
// memory under hostile 64 KiB values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header } from '../helpers/routekey.ts';
import { readmeJsonBlocks } from '../deploy/deploy-helpers.ts';

const start = startsClosedAfterTests();

const CONFIG = {
  key: [
    { baggage: 'routing-key', lowercase: true, trim: true, maxBytes: 64 },
    { tracestate: 'acme@sb' },
    { cookie: 'sandbox' },
    { query: 'sandbox' },
    { header: 'x-env' },
  ],
  routes: [
    { name: 'pr-1', keys: ['pr-1'], destination: 'pr-1.svc' },
    { name: 'pr-2', keys: ['pr-2'], destination: 'pr-2.svc' },
    { name: 'pr-3', keys: ['pr 3'], destination: 'pr-3.svc' },
  ],
  default: { destination: 'baseline.svc' },
  decisionHeader: 'x-route',
};

type H = Array<[string, string]>;
const base: H = [[':authority', 'app'], [':method', 'GET']];
const routed = (p: Awaited<ReturnType<typeof start>>, h: H, path = '/') =>
  header(request(p, [...base, [':path', path], ...h]).req.headers, ':authority');

test('each kind of source routes by its key', async () => {
  const p = await start(CONFIG);
  assert.equal(routed(p, [['baggage', 'userId=alice, routing-key = PR-1 ;ttl=3, x=1']]), 'pr-1.svc', 'baggage, lower-cased');
  assert.equal(routed(p, [['baggage', 'routing-key=%20pr-2%09']]), 'pr-2.svc', 'baggage, decoded then trimmed');
  assert.equal(routed(p, [['tracestate', 'rojo=00f067aa0ba902b7,acme@sb=pr-2']]), 'pr-2.svc', 'tracestate');
  assert.equal(routed(p, [['cookie', 'theme=dark; sandbox="pr-1"']]), 'pr-1.svc', 'cookie, quoted');
  assert.equal(routed(p, [], '/api?x=1&sandbox=pr%203#frag'), 'pr-3.svc', 'query, decoded');
  assert.equal(routed(p, [], '/api?sandbox=pr+3'), 'baseline.svc', '+ is not a space');
  assert.equal(routed(p, [['x-env', 'pr-2']]), 'pr-2.svc', 'header');
});

test('sources are tried in order: the first that yields a key wins, even when it matches no route', async () => {
  const p = await start(CONFIG);
  const all: H = [['baggage', 'routing-key=pr-1'], ['tracestate', 'acme@sb=pr-2'], ['cookie', 'sandbox=pr-2'], ['x-env', 'pr-2']];
  assert.equal(routed(p, all, '/?sandbox=pr-2'), 'pr-1.svc');
  assert.equal(routed(p, all.slice(1)), 'pr-2.svc');
  assert.equal(routed(p, [['baggage', 'xrouting-key=pr-1,routing-keyx=pr-1'], ['cookie', 'sandbox=pr-2']]), 'pr-2.svc', 'no such member: next source');
  assert.equal(routed(p, [['baggage', `routing-key=${'a'.repeat(65)}`], ['cookie', 'sandbox=pr-2']]), 'pr-2.svc', 'over maxBytes: next source');
  assert.equal(routed(p, [['baggage', 'routing-key=%zz'], ['cookie', 'sandbox=pr-2']]), 'pr-2.svc', 'invalid percent-encoding: next source');
  assert.equal(routed(p, [['baggage', 'routing-key=nobody'], ['cookie', 'sandbox=pr-2']]), 'baseline.svc', 'a key that matches nothing');
});

test('one header read per source tried, nothing else added per request', async () => {
  const p = await start(CONFIG);
  routed(p, [['x-env', 'pr-1']]); // defines the counter
  const before = p.hostCalls().length;
  assert.equal(routed(p, [['x-env', 'pr-1']]), 'pr-1.svc');
  const calls = p.hostCalls().slice(before).map((c) => c.name);
  const count = (n: string) => calls.filter((c) => c === n).length;
  assert.equal(count('proxy_get_header_map_value'), 5, 'baggage, tracestate, cookie, :path, x-env');
  assert.equal(count('proxy_get_header_map_pairs'), 0);
  const before2 = p.hostCalls().length;
  assert.equal(routed(p, [['baggage', 'routing-key=pr-2']]), 'pr-2.svc');
  const first = p.hostCalls().slice(before2).filter((c) => c.name === 'proxy_get_header_map_value').length;
  assert.equal(first, 1, 'the first source answered');
  assert.deepEqual(p.violations(), []);
});

test('memory stays flat under hostile 64 KiB baggage, cookie and query values', async () => {
  const p = await start(CONFIG, { recordHostCalls: false });
  const big = 64 * 1024;
  const values: H[] = [
    [['baggage', 'a=1,'.repeat(big / 4)]],
    [['baggage', ','.repeat(big)]],
    [['baggage', `routing-key=${'%41'.repeat(big / 3)}`]],
    [['tracestate', 'a=b,'.repeat(big / 4)]],
    [['cookie', 'a=1; '.repeat(big / 5)]],
    [['cookie', `sandbox=${'"'.repeat(big)}`]],
  ];
  const drive = (n: number) => {
    for (let i = 0; i < n; i++) {
      const h = values[i % values.length]!;
      const path = i % 7 === 0 ? `/?${'s=1&'.repeat(big / 4)}sandbox=pr-1` : '/';
      // No earlier source yields a key (the all-DQUOTE cookie is over the default 4096 bytes).
      const want = i % 7 === 0 ? 'pr-1.svc' : 'baseline.svc';
      assert.equal(routed(p, h, path), want, `request ${i}`);
    }
  };
  drive(60);
  const m0 = p.memoryBytes();
  drive(300);
  assert.equal(p.memoryBytes(), m0);
  assert.deepEqual(p.failures(), []);
});

test("README's Key sources example routes a request by each of its sources", async () => {
  const block = readmeJsonBlocks().find((b) => b.text.includes('"tracestate": "acme@sandbox"'));
  assert.ok(block, 'README.md has the Key sources example');
  const p = await start(block!.text);
  const to = (h: H, path = '/cart') => routed(p, h, path);
  assert.equal(to([['baggage', 'userId=alice, routing-key=PR-7;ttl=3']]), 'checkout-pr-7.svc:8080');
  assert.equal(to([['tracestate', 'rojo=00f0,acme@sandbox=pr-7']]), 'checkout-pr-7.svc:8080');
  assert.equal(to([['cookie', 'theme=dark; sandbox="pr-7"']]), 'checkout-pr-7.svc:8080');
  assert.equal(to([], '/cart?sandbox=pr%2D7'), 'checkout-pr-7.svc:8080');
  assert.equal(to([['x-sandbox', 'pr-7']]), 'checkout-pr-7.svc:8080');
  assert.equal(to([['baggage', 'xrouting-key=pr-7']]), 'checkout.svc:8080');
  assert.equal(to([['cookie', 'sandbox=pr-8'], ['x-sandbox', 'pr-7']]), 'checkout.svc:8080', 'the first key found decides');
});
