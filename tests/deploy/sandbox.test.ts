// The sandbox scenario's deployment files (README, "Sandbox routing across services"): one rule set,
// examples/sandbox/rules.json, carried unchanged by envoy/sandbox.yaml and by the WasmPlugin of
// istio/sandbox/; the Envoy bootstrap has a virtual host for every authority and baseline
// (`routekey validate --strict` agrees); the Istio manifests validate, the plugin runs in CLIENT
// mode on the callers, and through the route config a caller's sidecar gets for port 8080 each
// key reaches its sandbox — and would not if the sandbox served on another port (the same-port
// caveat). The requests over sockets are tests/e2e/sandbox.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { checkConfiguration, findConfigurations } from '../../host/app/validate.ts';
import type { Plugin } from '../../host/lib/index.ts';
import { runMain } from '../host/app/harness.ts';
import { MIN_ISTIO, MODELS, coreProblems, sidecarVirtualHosts, wasmPluginSpecProblems } from './istio-helpers.ts';
import {
  WASM, at, destinationAuthority, destinations, envoyWasmFilter, filterMissing, pickVirtualHost, readText, readYaml, readYamlDocs, type Any,
} from './deploy-helpers.ts';

const RULES = JSON.parse(readText('examples/sandbox/rules.json'));
const DIR = 'istio/sandbox';
const FILES = ['10-sandboxes.yaml', '20-wasmplugin.yaml'].map((f) => `${DIR}/${f}`);
const NS = 'shop';
const PORT = 8080;
/** The shop's own Services the sandboxes sit beside (not shipped: they are the application's). */
const BASELINES = ['cart', 'payments', 'search'].map((name) => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: PORT, targetPort: PORT }] },
}));
const objects = () => FILES.flatMap((file) => readYamlDocs(file).map((doc) => ({ file, doc })));
const ofKind = (kind: string) => objects().filter((o) => o.doc.kind === kind).map((o) => o.doc);
const plugin = () => ofKind('WasmPlugin')[0];
const subset = (sel: Record<string, string>, labels: Record<string, string> = {}) => Object.entries(sel).every(([k, v]) => labels[k] === v);

test('examples/sandbox/rules.json: scoped to cart, every destination on the baseline port', () => {
  assert.deepEqual(RULES.key, [{ baggage: 'routing-key' }]);
  for (const r of RULES.routes) {
    assert.ok(r.hosts.includes('cart') && r.hosts.includes('cart.shop.svc.cluster.local'), `${r.name}: the names callers use for cart`);
    assert.equal(destinationAuthority(r.destination), `${r.name}.${NS}.svc.cluster.local:${PORT}`, `${r.name}: its own Service, on ${PORT}`);
  }
});

test('envoy/sandbox.yaml: the rules as written, a virtual host per baseline and per destination, validate --strict ok', async (t) => {
  const bootstrap = readYaml('envoy/sandbox.yaml');
  const config = envoyWasmFilter(bootstrap).typed_config.config;
  assert.deepEqual(JSON.parse(config.configuration.value), RULES, 'the configuration is examples/sandbox/rules.json');
  assert.equal(config.configuration['@type'], 'type.googleapis.com/google.protobuf.StringValue');
  assert.equal(config.root_id, 'routekey');
  assert.equal(config.fail_open, false);
  const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  assert.deepEqual(hcm.http_filters.map((f: Any) => f.name), ['envoy.filters.http.wasm', 'envoy.filters.http.router']);
  const vhosts: Any[] = hcm.route_config.virtual_hosts;
  const clusters = bootstrap.static_resources.clusters.map((c: Any) => c.name);
  const clusterAt = (authority: string) => pickVirtualHost(vhosts, authority)?.routes[0].route.cluster;
  for (const { destination } of destinations(RULES)) {
    const authority = destinationAuthority(destination);
    assert.equal(clusterAt(authority), authority.split('.')[0], `${authority} → its sandbox`);
  }
  for (const host of ['cart', 'cart:8080', 'payments', 'payments:8080', 'search.shop.svc.cluster.local:8080']) {
    assert.equal(clusterAt(host), host.split(/[.:]/)[0], `${host} → the baseline`);
  }
  assert.equal(clusterAt('orders'), undefined, 'no catch-all: a missing virtual host shows as a 404');
  for (const vh of vhosts) {
    for (const r of vh.routes) {
      assert.ok(clusters.includes(r.route.cluster), `${vh.name}: cluster ${r.route.cluster} exists`);
      for (const k of ['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header', 'host_rewrite_path_regex']) assert.equal(r.route[k], undefined);
    }
  }
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const v = await runMain('validate', '--strict', 'envoy/sandbox.yaml', 'examples/sandbox/rules.json', '--bootstrap', 'envoy/sandbox.yaml');
  assert.equal(v.code, 0, v.err);
  assert.equal(v.out, 'envoy/sandbox.yaml: ok\nexamples/sandbox/rules.json: ok');
});

test('istio/sandbox/: every manifest validates, in namespace shop, on Istio >= 1.19', () => {
  assert.deepEqual(readdirSync(at(DIR)).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${DIR}/${f}`), FILES,
    'a new manifest needs its place in FILES and in istio/sandbox/README.md');
  const objs = objects();
  assert.deepEqual(objs.map((o) => o.doc.kind).sort(), ['Deployment', 'Deployment', 'Service', 'Service', 'WasmPlugin']);
  for (const { file, doc } of objs) {
    const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    if (Model) assert.doesNotThrow(() => new Model(doc).validate(), where);
    else assert.deepEqual(coreProblems(where, doc), []);
    assert.equal(doc.metadata.namespace, NS, `${where}: namespace`);
  }
  for (const file of FILES) assert.ok(readText(file).includes(`Istio >= ${MIN_ISTIO}`), `${file}: states Istio >= ${MIN_ISTIO}`);
  const readme = readText(`${DIR}/README.md`);
  assert.deepEqual([...readme.matchAll(/^kubectl apply -f (istio\/\S+)/gm)].map((m) => m[1]), FILES, 'README.md applies each manifest, in order');
});

test('istio/sandbox/: a WasmPlugin in CLIENT mode on the callers, the rules as pluginConfig', () => {
  const p = plugin();
  assert.deepEqual(wasmPluginSpecProblems(DIR, p.spec), []);
  assert.deepEqual(p.spec.match, [{ mode: 'CLIENT', ports: [{ number: PORT }] }], 'outbound only, on the port the callers call');
  assert.equal(p.spec.pluginName, 'routekey');
  assert.equal(p.spec.phase, 'AUTHN');
  assert.equal(p.spec.failStrategy, 'FAIL_CLOSE');
  assert.equal(p.spec.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(p.spec.pluginConfig, RULES, 'pluginConfig is examples/sandbox/rules.json');
  // The sandboxes call other services too: the plugin runs on their sidecars; the Services select their own pods only.
  const deployments = ofKind('Deployment');
  for (const d of deployments) {
    assert.ok(subset(p.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name}: a caller, selected`);
    assert.ok(!subset({ app: 'cart' }, d.spec.template.metadata.labels), `${d.metadata.name}: the baseline cart's selector misses it`);
  }
  for (const s of ofKind('Service')) {
    assert.deepEqual(deployments.filter((d) => subset(s.spec.selector, d.spec.template.metadata.labels)).map((d) => d.metadata.name), [s.metadata.name]);
    assert.deepEqual(s.spec.ports.map((sp: Any) => sp.port), [PORT], `${s.metadata.name}: the baseline's port`);
  }
});

test("istio/sandbox/: through the caller's route config for 8080, each key reaches its sandbox; on another port it would not", async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const [found] = findConfigurations(`${DIR}/20-wasmplugin.yaml`, readText(`${DIR}/20-wasmplugin.yaml`));
  assert.ok(found);
  const wasm = new Uint8Array(readFileSync(WASM));
  assert.deepEqual(await checkConfiguration(found.configuration, wasm), []);
  const { startPlugin } = (await import('../../host/lib/index.ts')) as { startPlugin: (o: Any) => Promise<Plugin> };
  const filter = await startPlugin({ wasm, rootId: 'routekey', name: 'routekey', vmId: 'routekey', configuration: found.configuration, workers: 1 });
  const cluster = (s: string) => `outbound|${PORT}||${s}.${NS}.svc.cluster.local`;
  const route = (vhosts: Any[], authority: string, baggage?: string) => {
    const stream = filter.createStream();
    const out = stream.onRequestHeaders([[':method', 'GET'], [':path', '/'], [':scheme', 'http'], [':authority', authority],
      ...(baggage ? [['baggage', baggage] as [string, string]] : [])], true);
    stream.complete();
    return pickVirtualHost(vhosts, out.headers.find(([k]) => k === ':authority')![1])?.routes[0].route.cluster;
  };
  try {
    const vhosts = sidecarVirtualHosts([...BASELINES, ...ofKind('Service')], PORT);
    const cases: Array<[string, string | undefined, string]> = [
      ['cart:8080', 'routing-key=alice', cluster('cart-alice')],
      ['cart.shop.svc.cluster.local:8080', 'otel=1, routing-key=alice', cluster('cart-alice')],
      ['cart:8080', 'routing-key=pr-42', cluster('cart-preview')],
      ['cart:8080', undefined, cluster('cart')],
      ['cart:8080', 'routing-key=carol', cluster('cart')],
      ['payments:8080', 'routing-key=alice', cluster('payments')],
      ['search:8080', 'routing-key=pr-42', cluster('search')],
    ];
    for (const [authority, baggage, expected] of cases) assert.equal(route(vhosts, authority, baggage), expected, `${authority} ${baggage}`);
    // The caveat: cart-alice on 9090 has no virtual host in route config 8080; the catch-all
    // (PassthroughCluster, the original destination: the baseline cart) takes the request.
    const elsewhere = ofKind('Service').map((s) => s.metadata.name === 'cart-alice' ? { ...s, spec: { ...s.spec, ports: [{ ...s.spec.ports[0], port: 9090 }] } } : s);
    assert.equal(route(sidecarVirtualHosts([...BASELINES, ...elsewhere], PORT), 'cart:8080', 'routing-key=alice'), 'PassthroughCluster');
  } finally {
    await filter.close();
  }
});
