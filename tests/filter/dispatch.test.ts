// The built filter, driven through host/ as Envoy drives it: both configuration forms, every
// routing decision, header operations, path prefixes, the decision header and the counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header, all, counter } from '../helpers/routekey.ts';

const start = startsClosedAfterTests();

const ORIGINAL = '{"key": "environment", "destination": "http://example.org", "rewrites": {"dev": {"patch": [{"key": "Host", "val": "example.com"}, {"key": "dispatched", "val": true}], "destination": "http://example.com"}}}';

test("the original dispatcher's config and example work unchanged", async () => {
  const p = await start(ORIGINAL);
  const dev = request(p, [['host', 'enricher.local'], [':path', '/'], [':method', 'GET'], ['environment', 'dev']]);
  assert.equal(dev.req.action, 'continue');
  assert.equal(header(dev.req.headers, ':authority'), 'example.com');
  assert.equal(header(dev.req.headers, 'dispatched'), 'true');
  assert.equal(dev.req.routeCacheCleared, true, 'Envoy must re-pick the route after the rewrite');

  for (const env of [[['environment', 'prod']], []] as Array<Array<[string, string]>>) {
    const other = request(p, [['host', 'enricher.local'], [':path', '/'], [':method', 'GET'], ...env]);
    assert.equal(header(other.req.headers, ':authority'), 'example.org');
    assert.equal(header(other.req.headers, 'dispatched'), undefined);
  }
  assert.equal(counter(p, 'routekey.routed.route.dev'), 1);
  assert.equal(counter(p, 'routekey.default'), 2);
});

const NATIVE = {
  key: [{ header: 'x-sandbox' }, { header: 'x-env' }],
  routes: [
    { name: 'dev', keys: ['dev', 'development'], destination: 'dev.svc:8080',
      requestHeaders: { set: { 'x-routed': 'dev', Host: 'override.svc' }, add: { 'x-trace': 'a' }, remove: ['x-debug'] } },
    { name: 'pr-42', keys: ['pr-42'], destination: 'http://pr-42.svc:9090/api/' },
  ],
  default: { destination: 'baseline.svc:8080', requestHeaders: { set: { 'x-routed': 'baseline' } } },
  decisionHeader: 'x-routekey-route',
};

test('native form: a key selects its route, header operations apply in order after the destination', async () => {
  const p = await start(NATIVE);
  const r = request(p, [[':authority', 'app'], [':path', '/x'], ['x-env', 'development'], ['x-debug', '1'], ['x-trace', 'z']]);
  assert.equal(header(r.req.headers, ':authority'), 'override.svc', 'explicit Host applies after the destination');
  assert.equal(header(r.req.headers, 'x-routed'), 'dev');
  assert.deepEqual(all(r.req.headers, 'x-trace'), ['z', 'a']);
  assert.equal(header(r.req.headers, 'x-debug'), undefined);
  assert.equal(header(r.req.headers, ':path'), '/x');
  assert.equal(header(r.resp.headers, 'x-routekey-route'), 'dev');
});

test('native form: a URL destination prefixes the path and drops the scheme', async () => {
  const p = await start(NATIVE);
  const r = request(p, [[':authority', 'app'], [':path', '/hello?q=1'], ['x-env', 'pr-42']]);
  assert.equal(header(r.req.headers, ':authority'), 'pr-42.svc:9090');
  assert.equal(header(r.req.headers, ':path'), '/api/hello?q=1');
  assert.equal(header(r.resp.headers, 'x-routekey-route'), 'pr-42');
});

test('native form: the first key source present wins; an unknown or missing key takes the default', async () => {
  const p = await start(NATIVE);
  const first = request(p, [[':authority', 'app'], [':path', '/'], ['x-sandbox', 'pr-42'], ['x-env', 'dev']]);
  assert.equal(header(first.req.headers, ':authority'), 'pr-42.svc:9090');
  const unknownFirst = request(p, [[':authority', 'app'], [':path', '/'], ['x-sandbox', 'nope'], ['x-env', 'dev']]);
  assert.equal(header(unknownFirst.req.headers, ':authority'), 'baseline.svc:8080', 'a present but unknown key does not fall through to the next source');
  const empty = request(p, [[':authority', 'app'], [':path', '/'], ['x-sandbox', ''], ['x-env', 'dev']]);
  assert.equal(header(empty.req.headers, 'x-routed'), 'dev', 'an empty value counts as absent');
  const none = request(p, [[':authority', 'app'], [':path', '/']]);
  assert.equal(header(none.req.headers, ':authority'), 'baseline.svc:8080');
  assert.equal(header(none.req.headers, 'x-routed'), 'baseline');
  assert.equal(header(none.resp.headers, 'x-routekey-route'), 'default');
  assert.equal(counter(p, 'routekey.routed.route.pr-42'), 1);
  assert.equal(counter(p, 'routekey.routed.route.dev'), 1);
  assert.equal(counter(p, 'routekey.default'), 2);
  assert.equal(counter(p, 'routekey.routed.route.nope'), undefined);
});

test('keys are exact and case-sensitive', async () => {
  const p = await start(NATIVE);
  for (const v of ['Dev', 'dev ', ' dev', 'dev\u00e9']) {
    const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', v]]);
    assert.equal(header(r.req.headers, ':authority'), 'baseline.svc:8080', JSON.stringify(v));
  }
});

test('without a default, an unmatched request passes unchanged and is counted as passthrough', async () => {
  const p = await start({ key: 'x-env', routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc' }], decisionHeader: 'x-routekey-route' });
  const r = request(p, [[':authority', 'app:80'], [':path', '/a'], ['x-env', 'qa']]);
  assert.deepEqual(r.req.headers, [[':authority', 'app:80'], [':path', '/a'], ['x-env', 'qa']]);
  assert.equal(r.req.routeCacheCleared, false);
  assert.equal(header(r.resp.headers, 'x-routekey-route'), 'none');
  assert.equal(counter(p, 'routekey.passthrough'), 1);
});

test('no decision header unless configured', async () => {
  const p = await start(ORIGINAL);
  const r = request(p, [[':authority', 'app'], [':path', '/'], ['environment', 'dev']]);
  assert.deepEqual(r.resp.headers, [[':status', '200']]);
});

test('original-form values with characters unsafe in a stat name get distinct, sanitised counters', async () => {
  const p = await start({ key: 'environment', rewrites: { 'team.a/b': { destination: 'http://a.svc' }, 'team/a.b': { destination: 'http://b.svc' } } });
  const r = request(p, [[':authority', 'app'], [':path', '/'], ['environment', 'team.a/b']]);
  assert.equal(header(r.req.headers, ':authority'), 'a.svc');
  request(p, [[':authority', 'app'], [':path', '/'], ['environment', 'team/a.b']]);
  request(p, [[':authority', 'app'], [':path', '/'], ['environment', 'team/a.b']]);
  p.fireTicks(); // counts reach Envoy on the tick
  const routed = p.metrics().filter((m) => m.name.startsWith('wasmcustom.routekey.routed.route.'));
  assert.equal(routed.length, 2, JSON.stringify(routed));
  for (const m of routed) assert.match(m.name, /^wasmcustom\.routekey\.routed\.route\.team_a_b_[0-9a-f]{8}$/);
  assert.deepEqual(routed.map((m) => m.value).sort(), [1, 2]);
});

test('a root id other than routekey still gets the filter, with a warning', async () => {
  const p = await start(ORIGINAL, { rootId: 'my-dispatcher' });
  const r = request(p, [[':authority', 'app'], [':path', '/'], ['environment', 'dev']]);
  assert.equal(header(r.req.headers, ':authority'), 'example.com');
  assert.ok(p.logs.some((l) => l.level === 'warn' && l.message.includes("'my-dispatcher' is not registered")));
});

test('streams spread over several worker VMs route the same way', async () => {
  const p = await start(NATIVE, { workers: 3 });
  for (let i = 0; i < 9; i++) {
    const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
    assert.equal(header(r.req.headers, 'x-routed'), 'dev');
  }
  assert.equal(counter(p, 'routekey.routed.route.dev'), 9, 'metrics are shared across workers');
});
