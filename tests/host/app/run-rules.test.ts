// `routekey run --rules … --print-envoy`: the bootstrap generated from a rules file — a virtual
// host per authority the BUILT filter sets (so a Host set by a header operation counts), a cluster
// per upstream picked by the naming rule, the catch-all to `default` — and the one-line refusals.
// Serving it over sockets is tests/e2e/run-rules.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { wasmIsStale } from '../../../host/app/demo/index.ts';
import { parseUpstreamFlag, upstreamFor } from '../../../host/app/upstream-map.ts';
import { loadBootstrap } from '../../../host/runner/index.ts';
import { assertOneLineErrors, runMain, scratchFiles } from './harness.ts';

const skip = wasmIsStale() ? 'build/routekey.wasm is missing or stale (npm run build)' : false;

interface VHost { name: string; domains: string[]; routes: Array<{ route: { cluster: string } }> }
function routeTable(yaml: string) {
  const doc = parse(yaml);
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  const vhosts = (hcm.route_config.virtual_hosts as VHost[]).map((v) => [v.domains.join(' '), v.routes[0]!.route.cluster]);
  const clusters = (doc.static_resources.clusters as Array<{ name: string; type: string; load_assignment: any }>).map((c) => {
    const a = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    return `${c.name} ${c.type} ${a.address}:${a.port_value}`;
  });
  return { doc, hcm, vhosts, clusters };
}

describe('the --upstream naming rule', () => {
  const ups = ['dev=127.0.0.1:1', 'dev.svc=127.0.0.1:2', '10.0.0.7=127.0.0.1:3', 'default=8080'].map((v) => parseUpstreamFlag(v)!);
  test('exact host first, then the first DNS label; an IP address only by its own name; the port is not part of it', () => {
    assert.equal(upstreamFor('dev.svc:8080', ups)?.port, 2);
    assert.equal(upstreamFor('dev.demo', ups)?.port, 1);
    assert.equal(upstreamFor('DEV', ups)?.port, 1);
    assert.equal(upstreamFor('10.0.0.7:80', ups)?.port, 3);
    assert.equal(upstreamFor('10.0.0.8', ups), undefined);
    assert.equal(upstreamFor('development.svc', ups), undefined);
  });
  test('NAME=HOST:PORT, NAME=PORT (127.0.0.1), [IPv6]:PORT; anything else is refused', () => {
    assert.deepEqual(parseUpstreamFlag('default=8080'), { name: 'default', address: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseUpstreamFlag('v6=[::1]:81'), { name: 'v6', address: '::1', port: 81 });
    for (const bad of ['dev', 'dev=', 'dev=host', 'dev=1.2.3.4:0', 'dev=1.2.3.4:70000', '=1.2.3.4:80']) assert.equal(parseUpstreamFlag(bad), undefined, bad);
  });
});

describe('routekey run --rules', { skip }, () => {
  const file = scratchFiles('routekey-rules-');

  test('--print-envoy: a virtual host per destination, a cluster per upstream, the catch-all to default; validate and the runner accept it', async () => {
    const r = await runMain('run', '--rules', 'examples/rules.json', '--upstream', 'dev=127.0.0.1:8081', '--upstream', 'default=127.0.0.1:8080', '--print-envoy');
    assert.equal(r.code, 0, r.err);
    const { vhosts, clusters, hcm } = routeTable(r.out);
    assert.deepEqual(vhosts, [['dev.demo dev.demo:*', 'dev'], ['default.demo default.demo:*', 'default'], ['*', 'default']]);
    assert.deepEqual(clusters, ['dev STATIC 127.0.0.1:8081', 'default STATIC 127.0.0.1:8080']);
    // The rules reach the filter as written, in a StringValue (as envoy/envoy.yaml does it).
    const config = hcm.http_filters[0].typed_config.config;
    assert.equal(config.configuration['@type'], 'type.googleapis.com/google.protobuf.StringValue');
    assert.equal(config.configuration.value, readFileSync('examples/rules.json', 'utf8'));
    assert.deepEqual(hcm.http_filters.map((f: { name: string }) => f.name), ['envoy.filters.http.wasm', 'envoy.filters.http.router']);
    const printed = file('printed.yaml', r.out);
    const v = await runMain('validate', printed);
    assert.equal(v.code, 0, v.err);
    const b = loadBootstrap(printed);
    assert.deepEqual(b.warnings, []);
    assert.deepEqual([b.listeners[0]!.address, b.admin], [{ address: '127.0.0.1', port: 10000 }, { address: '127.0.0.1', port: 9901 }]);
  });

  test('destinations are what the filter sets: a Host set by a header operation wins over the destination; a port stays in the domain', async () => {
    const rules = file('set-host.json', JSON.stringify({
      key: [{ header: 'x-sandbox' }, { header: 'x-env' }],
      routes: [
        { name: 'a', keys: ['a'], destination: 'ignored.svc', requestHeaders: { set: { Host: 'alpha.svc:8443' } } },
        { name: 'b', keys: ['b'], destination: 'http://beta.svc/api' },
      ],
    }));
    const r = await runMain('run', '--rules', rules, '--upstream', 'alpha=127.0.0.1:1', '--upstream', 'beta.svc=127.0.0.1:2', '--port', '0', '--print-envoy');
    assert.equal(r.code, 0, r.err);
    const { vhosts, clusters } = routeTable(r.out);
    assert.deepEqual(vhosts, [['alpha.svc:8443', 'alpha'], ['beta.svc beta.svc:*', 'beta.svc']]);
    assert.deepEqual(clusters, ['alpha STATIC 127.0.0.1:1', 'beta.svc STATIC 127.0.0.1:2']);
    // No default upstream: a request without a key keeps the client's Host and would get a 404.
    assert.equal(r.err, 'routekey: note: passthrough: keeps the client\'s Host, and without --upstream default=HOST:PORT such requests get a 404');
  });

  test('a destination without an upstream is refused in one line naming it', async () => {
    const r = await runMain('run', '--rules', 'examples/rules.json', '--upstream', 'default=127.0.0.1:8080', '--print-envoy');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.equal(r.err, 'routekey: route dev sends to dev.demo, and no --upstream serves it: add --upstream dev=HOST:PORT ' +
      '(an upstream is named after the destination\'s host, dev.demo, or its first label)');
  });

  test('mistakes are one line each', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--rules', 'examples/rules.json'], 2, /^routekey run: --rules needs at least one --upstream NAME=HOST:PORT/],
      [['--rules', 'examples/rules.json', '--upstream', 'dev'], 2, /^routekey run: --upstream: expected NAME=HOST:PORT \(e\.g\. dev=127\.0\.0\.1:8081\), got "dev"/],
      [['--rules', 'examples/rules.json', '--config', 'envoy/envoy.yaml', '--upstream', 'd=1'], 2, /--config and --rules are two ways of running: give one/],
      [['--config', 'envoy/envoy.yaml', '--port', '1'], 2, /^routekey run: --port goes with --rules FILE/],
      [['--config', 'envoy/envoy.yaml', '--print-envoy'], 2, /^routekey run: --print-envoy goes with --rules FILE/],
      [['--rules', 'envoy/envoy.yaml', '--upstream', 'd=1'], 1, /^routekey: envoy\/envoy\.yaml is an Envoy bootstrap, not a rules file: .*routekey run --config envoy\/envoy\.yaml$/],
      [['--rules', 'nowhere.json', '--upstream', 'd=1'], 1, /^routekey: --rules nowhere\.json: no such file$/],
    ];
    await assertOneLineErrors('run', cases);
    const refused = file('refused.json', '{"key": "x", "routes": [{"name": "a", "keys": ["a"], "destination": "ftp://x"}]}');
    const r = await runMain('run', '--rules', refused, '--upstream', 'd=1', '--print-envoy');
    assert.equal(r.code, 1);
    assert.equal(r.err, `routekey: ${refused}: routekey: invalid configuration: routes[0].destination: expected host, host:port or http(s)://host[:port][/path], got "ftp://x"`);
  });

  test('--help names --rules, --upstream and --print-envoy', async () => {
    const r = await runMain('run', '--help');
    assert.equal(r.code, 0);
    assert.match(r.out, /routekey run --rules rules\.json --upstream NAME=HOST:PORT\.\.\. \[--port 10000\] \[--admin-port 9901\] \[--print-envoy\]/);
  });
});
