// `routekey explain`: the built filter's decision and rewritten headers for one request or a
// table of them, and with an Envoy bootstrap the router's virtual host, route and cluster. The
// first test is what CI runs on the shipped examples.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { wasmIsStale } from '../../../host/app/demo/index.ts';
import { assertOneLineErrors, runMain, scratchFiles } from './harness.ts';

const skip = wasmIsStale() ? 'build/routekey.wasm is missing or stale (npm run build)' : false;

describe('routekey explain', { skip }, () => {
  const file = scratchFiles('routekey-explain-');

  test('the shipped examples: envoy/envoy.yaml with examples/requests.yaml, examples/rules.json with examples/rules-requests.yaml', async () => {
    const envoy = await runMain('explain', '--config', 'envoy/envoy.yaml', '--table', 'examples/requests.yaml');
    assert.equal(envoy.code, 0, envoy.err);
    assert.equal(envoy.out, 'examples/requests.yaml: 4 requests, all as expected');
    const rules = await runMain('explain', '--config', 'examples/rules.json', '--table', 'examples/rules-requests.yaml');
    assert.equal(rules.code, 0, rules.err);
    assert.equal(rules.out, 'examples/rules-requests.yaml: 3 requests, all as expected');
  });

  test('a table with wrong expectations: exit 1, one line per mismatch, naming the entry, the field, what was expected and what the filter did', async () => {
    const table = file('wrong.yaml', [
      '- name: dev',
      '  request: {headers: {environment: dev}, path: /hello}',
      '  expect: {route: dev, cluster: default, headers: {dispatched: null}}',
      '- request: {path: /}',
      '  expect: {route: default, virtualHost: default.demo}',
      '- request: {headers: {environment: nope}}',
      '  expect: {authority: dev.demo}',
    ].join('\n'));
    const r = await runMain('explain', '--config', 'envoy/envoy.yaml', '--table', table);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err.split('\n'), [
      `${table}: [0] dev (GET localhost/hello): headers.dispatched: expected absent, got "true"`,
      `${table}: [0] dev (GET localhost/hello): cluster: expected "default", got "dev"`,
      `${table}: [2] (GET localhost/): authority: expected "dev.demo", got "default.demo"`,
    ]);
    assert.equal(r.out, `${table}: 2 of 3 requests not as expected`);
  });

  test('one request through a bootstrap: decision with its counter, the rewritten headers, virtual host, route and cluster', async () => {
    const r = await runMain('explain', '--config', 'envoy/envoy.yaml', '-H', 'environment: dev', '--authority', 'localhost:10000', '/hello');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.split('\n'), [
      'decision: route dev (counter wasmcustom.routekey.routed.route.dev)',
      'request headers:',
      '  :authority: dev.demo (was localhost:10000)',
      '  dispatched: true (added)',
      'virtual host: dev.demo',
      'route: virtual_hosts[1].routes[0]',
      'cluster: dev',
    ]);
  });

  test('an authority with no virtual host: the router\'s 404 is shown', async () => {
    // envoy/envoy.yaml without its catch-all, and with a default the bootstrap does not serve.
    const doc = parse(readFileSync('envoy/envoy.yaml', 'utf8'));
    const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    hcm.route_config.virtual_hosts = hcm.route_config.virtual_hosts.filter((v: { name: string }) => v.name !== 'catch_all');
    const cfg = hcm.http_filters[0].typed_config.config.configuration;
    cfg.value = cfg.value.replace('http://default.demo', 'http://other.demo');
    const boot = file('narrow.yaml', stringify(doc));
    const hit = await runMain('explain', '--config', boot, '-H', 'environment: dev', '/');
    assert.equal(hit.code, 0, hit.err);
    assert.match(hit.out, /^virtual host: dev\.demo$/m);
    const miss = await runMain('explain', '--config', boot, '/');
    assert.equal(miss.code, 0, miss.err);
    assert.match(miss.out, /^virtual host: \(none\)\nrouter: NR \(no virtual host matches the authority: 404\)$/m);
  });

  test('rules alone: no routing lines; passthrough when there is no default; an original-form name kept as written', async () => {
    const rules = file('rules.json', JSON.stringify({ key: 'x-env', routes: [{ name: 'canary', keys: ['c'], requestHeaders: { remove: ['x-debug'] } }] }));
    const pass = await runMain('explain', '--config', rules, '-H', 'x-debug: 1', '/');
    assert.equal(pass.code, 0, pass.err);
    assert.equal(pass.out, 'decision: passthrough (counter wasmcustom.routekey.passthrough)\nrequest headers: unchanged');
    const removed = await runMain('explain', '--config', rules, '-H', 'x-env: c', '-H', 'x-debug: 1', '/');
    assert.equal(removed.out, 'decision: route canary (counter wasmcustom.routekey.routed.route.canary)\nrequest headers:\n  x-debug (removed)');
    const original = file('original.yaml', 'key: environment\nrewrites: {"team.a/b": {destination: "http://team.svc:81"}}\n');
    const o = await runMain('explain', '--config', original, '-H', 'environment: team.a/b', '/');
    assert.match(o.out, /^decision: route team\.a\/b \(counter wasmcustom\.routekey\.routed\.route\.team_a_b_[0-9a-f]{8}\)$/m);
    assert.match(o.out, /^ {2}:authority: team\.svc:81 \(was localhost\)$/m);
  });

  test('a WasmPlugin: its pluginConfig is what runs', async () => {
    const plugin = file('plugin.yaml', [
      'apiVersion: extensions.istio.io/v1alpha1',
      'kind: WasmPlugin',
      'metadata: {name: routekey}',
      'spec:',
      '  pluginName: routekey',
      '  pluginConfig: {key: x-env, routes: [{name: v2, keys: [v2], destination: "reviews-v2.default.svc.cluster.local:9080"}]}',
    ].join('\n'));
    const r = await runMain('explain', '--config', plugin, '-H', 'x-env: v2', '/reviews/1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^decision: route v2 /);
    assert.match(r.out, /:authority: reviews-v2\.default\.svc\.cluster\.local:9080 \(was localhost\)/);
  });

  test('mistakes are one line each', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--table', 'examples/requests.yaml'], 2, /^routekey explain: --config FILE is required/],
      [['--config', 'envoy/envoy.yaml', 'hello'], 2, /^routekey explain: PATH must start with \/, got "hello"/],
      [['--config', 'envoy/envoy.yaml', '-H', 'no-colon'], 2, /^routekey explain: -H: expected 'NAME: VALUE', got "no-colon"/],
      [['--config', 'envoy/envoy.yaml', '--table', 'examples/requests.yaml', '/x'], 2, /belongs to a single request/],
      [['--config', join('nowhere', 'x.json'), '/'], 1, /^routekey: --config nowhere\/x\.json: no such file$/],
      [['--config', 'examples/rules.json', '--table', 'examples/requests.yaml'], 1, /\[0\]\.expect: cluster and virtualHost need an Envoy bootstrap/],
    ];
    await assertOneLineErrors('explain', cases);
    const bad = file('bad.yaml', '- request: {path: /}\n  expect: {colour: red}\n');
    const r = await runMain('explain', '--config', 'envoy/envoy.yaml', '--table', bad);
    assert.equal(r.code, 1);
    assert.equal(r.err, `routekey: ${bad}: [0].expect.colour: unknown field (expected one of route, authority, headers, cluster, virtualHost)`);
    const empty = file('empty.yaml', '- request: {path: /}\n');
    const e = await runMain('explain', '--config', 'envoy/envoy.yaml', '--table', empty);
    assert.equal(e.code, 1);
    assert.equal(e.err, `routekey: ${empty}: [0].expect: nothing to check (expected one of route, authority, headers, cluster, virtualHost)`);
    const broken = file('broken.yaml', 'a: [\n');
    const y = await runMain('explain', '--config', broken, '/');
    assert.equal(y.code, 1);
    assert.match(y.err, new RegExp(`^routekey: ${broken}: invalid YAML: [^\\n]+$`));
  });

  test('--help', async () => {
    const r = await runMain('explain', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /routekey explain --config FILE --table requests\.yaml/);
  });
});
