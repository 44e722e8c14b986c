// Routes per service (`hosts`) and key prefixes (issue 9 items 2 and 3), through the built module:
// the README example, the host calls they cost, a live rules document using them, and the
// refusals that name the route already holding a (key, host) pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header, counter } from '../helpers/routekey.ts';
import { Clock, liveConfig, manual, advance, answer, ok200 } from '../helpers/rules.ts';
import { readmeJsonBlocks } from '../deploy/deploy-helpers.ts';

const start = startsClosedAfterTests();

function readmeExample(): string {
  const block = readmeJsonBlocks().find((b) => b.text.includes('"name": "cart-alice"'));
  assert.ok(block, 'README has the per-service example');
  return block.text;
}

type H = [string, string][];

function decide(p: any, authority: string, key: string) {
  const r = request(p, [[':authority', authority], [':path', '/'], ['baggage', `routing-key=${key}`]]);
  return { authority: header(r.req.headers, ':authority'), route: header(r.resp.headers, 'x-routekey-route'), req: r.req.headers as H };
}

test('README example: one key, a sandbox per service, baselines for the rest', async () => {
  const p = await start(readmeExample());
  const rows: [string, string, string, string][] = [
    ['cart:8080', 'alice', 'cart-alice', 'cart-alice.shop.svc.cluster.local:8080'],
    ['Cart.Shop.svc.cluster.local', 'alice', 'cart-alice', 'cart-alice.shop.svc.cluster.local:8080'],
    ['payments:8080', 'alice', 'payments-alice', 'payments-alice:8080'],
    ['payments:9090', 'alice', 'trace', 'payments:9090'],
    ['search', 'alice', 'trace', 'search'],
    ['cart', 'pr-42', 'cart-preview', 'cart-preview:8080'],
    ['search', 'pr-42', 'none', 'search'],
    ['cart', 'carol', 'none', 'cart'],
  ];
  for (const [authority, key, route, to] of rows) {
    const d = decide(p, authority, key);
    assert.equal(d.route, route, `${authority} ${key}`);
    assert.equal(d.authority, to, `${authority} ${key}`);
  }
  assert.equal(header(decide(p, 'search', 'bob').req, 'x-debug-trace'), '1');
  assert.equal(counter(p, 'routekey.routed.route.cart-alice'), 2);
  assert.equal(counter(p, 'routekey.routed.route.trace'), 3);
});

test(':authority is read only when some route lists hosts, and once', async () => {
  const reads = async (config: object) => {
    const p = await start(config);
    request(p, [[':authority', 'cart'], ['x-env', 'k']]);
    const before = p.hostCalls().length;
    request(p, [[':authority', 'cart:8080'], ['x-env', 'k']]);
    const calls = p.hostCalls().slice(before).filter((c: any) => c.name === 'proxy_get_header_map_value');
    const before2 = p.hostCalls().length;
    request(p, [[':authority', 'cart']]);
    const keyless = p.hostCalls().slice(before2).filter((c: any) => c.name === 'proxy_get_header_map_value').length;
    return { keyed: calls.length, keyless };
  };
  const plain = await reads({ key: 'x-env', routes: [{ name: 'a', keys: ['k'], destination: 'a.svc' }] });
  assert.deepEqual(plain, { keyed: 1, keyless: 1 }, 'no hosts: the key read only');
  const scoped = await reads({ key: 'x-env', routes: [{ name: 'a', keys: ['k'], hosts: ['cart'], destination: 'a.svc' }] });
  assert.deepEqual(scoped, { keyed: 2, keyless: 1 }, 'hosts: the key, then :authority; none without a key');
});

test('a live rules document may scope routes and use prefixes; the swap brings them in', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({}, { decisionHeader: 'x-routekey-route' }), manual(clock));
  advance(p, clock, 250);
  answer(p, ok200(JSON.stringify({
    version: 'v1',
    routes: [
      { name: 'a-pr', prefixes: ['pr-'], hosts: ['svc-a'], destination: 'a-pr.svc' },
      { name: 'pr', prefixes: ['pr-'], destination: 'pr.svc' },
    ],
  })));
  const on = (authority: string) => {
    const s = p.createStream();
    const req = s.onRequestHeaders([[':authority', authority], [':path', '/'], ['x-env', 'pr-9']], true);
    s.onResponseHeaders([[':status', '200']], true);
    s.complete();
    return header(req.headers, ':authority');
  };
  assert.equal(on('svc-a'), 'a-pr.svc');
  assert.equal(on('svc-b'), 'pr.svc');
});

test('refusals name the field and the route that holds the (key, host) pair', async () => {
  const refused = (re: RegExp) => (e: any) => { assert.match(e.logs.map((l: any) => l.message).join('\n'), re); return true; };
  await assert.rejects(start({ key: 'x', routes: [
    { name: 'a', keys: ['k'], hosts: ['svc-a'], destination: 'a.svc' },
    { name: 'b', keys: ['k'], hosts: ['SVC-A'], destination: 'b.svc' }] }),
  refused(/routes\[1\]\.keys\[0\]: key "k" for host "svc-a" is already used by route "a"/));
  await assert.rejects(start({ key: 'x', routes: [{ name: 'a', keys: ['k'], hosts: ['*.svc'], destination: 'a.svc' }] }),
    refused(/routes\[0\]\.hosts\[0\]: expected a host or host:port/));
  // The same key for other hosts, and for every host, is fine.
  const p = await start({ key: 'x', routes: [
    { name: 'a', keys: ['k'], hosts: ['svc-a'], destination: 'a.svc' },
    { name: 'b', keys: ['k'], hosts: ['svc-b'], destination: 'b.svc' },
    { name: 'c', keys: ['k'], destination: 'c.svc' }] });
  assert.equal(header(request(p, [[':authority', 'svc-b'], ['x', 'k']]).req.headers, ':authority'), 'b.svc');
});

test('documents that list more than the table can hold are refused before they are sized', async () => {
  // Counts are read off the document before it is validated; they must not size the table
  // past what an accepted one can hold (a hang, an abort or a write out of bounds, before).
  const refused = (re: RegExp) => (e: any) => { assert.match(e.logs.map((l: any) => l.message).join('\n'), re); return true; };
  const keys = (n: number, p = 'k') => Array.from({ length: n }, (_, i) => `${p}${i}`);
  const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i}`);
  await assert.rejects(start({ key: 'x', routes: [{ name: 'a', keys: keys(20000), hosts: hosts(20000), destination: 'a.svc' }] }),
    refused(/routes\[0\]\.hosts: expected an array of 1 to 256 hosts/));
  await assert.rejects(start({ key: 'x', routes: [
    { name: 'a', keys: ['ok'], destination: 'a.svc' },
    { name: 'b', keys: keys(5000), hosts: hosts(256), destination: 'b.svc' }] }),
  refused(/routes\[1\]: expected at most 1000000 \(key, host\) pairs in all routes/));
  // Just under the limit is fine and routes.
  const p = await start({ key: 'x', routes: [{ name: 'b', keys: keys(3900), hosts: hosts(256), destination: 'b.svc' }] });
  assert.equal(header(request(p, [[':authority', 'h255:80'], ['x', 'k3899']]).req.headers, ':authority'), 'b.svc');
});
