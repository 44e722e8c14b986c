// istio/: every manifest validates against the Istio CRD schemas (@kubernetes-models/istio), and
// the choices README.md relies on (root id, CLIENT mode, phase, failStrategy, metrics prefix) hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { MODELS, MIN_ISTIO, wasmPluginSpecProblems } from './istio-helpers.ts';
import { istioYamlFiles, readText, readYaml, readYamlDocs, type Any } from './deploy-helpers.ts';

/** Every Kubernetes object in istio/*.yaml (the pod patch is not one). */
function objects(): Array<{ file: string; doc: Any }> {
  return istioYamlFiles()
    .filter((f) => f !== 'istio/pod-annotation-patch.yaml')
    .flatMap((file) => readYamlDocs(file).map((doc) => ({ file, doc })));
}

const wasmPlugins = () => objects().filter(({ doc }) => doc.kind === 'WasmPlugin');

test('istio/: every manifest validates with @kubernetes-models/istio', () => {
  const seen = objects();
  assert.ok(seen.length >= 6, 'WasmPlugins, Gateway, VirtualServices, IstioOperator, ConfigMap');
  for (const { file, doc } of seen) {
    const kind = `${doc.apiVersion}/${doc.kind}`;
    assert.ok(doc.metadata?.name, `${file}: ${kind} has a name`);
    if (kind === 'v1/ConfigMap') continue; // core kind, checked below
    const Model = MODELS[kind];
    assert.ok(Model, `${file}: ${kind} is a kind this test knows`);
    assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${kind} ${doc.metadata.name}`);
  }
});

test('istio/: WasmPlugins use only fields of the WasmPlugin API and load routekey', () => {
  const plugins = wasmPlugins();
  assert.deepEqual(plugins.map((p) => p.file).sort(), ['istio/wasmplugin-gateway.yaml', 'istio/wasmplugin.yaml']);
  for (const { file, doc } of plugins) {
    assert.deepEqual(wasmPluginSpecProblems(file, doc.spec), [], `${file}: WasmPlugin fields, all served by Istio >= ${MIN_ISTIO}`);
    assert.equal(doc.spec.pluginName, 'routekey', `${file}: pluginName is the module's root id`);
    assert.match(doc.spec.url, /^oci:\/\/REGISTRY\/routekey:VERSION$/, `${file}: url`);
    assert.equal(doc.spec.type, undefined, `${file}: no spec.type (HTTP is the default; the field needs Istio 1.20)`);
    assert.equal(doc.spec.imagePullPolicy, 'IfNotPresent');
    assert.ok(doc.spec.selector?.matchLabels, `${file}: selects workloads`);
    assert.ok(doc.spec.pluginConfig, `${file}: has a pluginConfig`);
    // Chosen on purpose, never left to defaults (reasons in the manifests' comments).
    assert.equal(doc.spec.phase, 'AUTHN', `${file}: phase before authn/authz (no route change after authz)`);
    assert.equal(doc.spec.failStrategy, 'FAIL_CLOSE', `${file}: failStrategy written out`);
  }
});

test(`istio/: every manifest works on Istio >= ${MIN_ISTIO} and says so`, () => {
  for (const { file, doc } of wasmPlugins()) assert.deepEqual(wasmPluginSpecProblems(file, doc.spec), []);
  for (const { file, doc } of objects()) {
    assert.notEqual(doc.apiVersion, 'networking.istio.io/v1', `${file}: ${doc.kind}: networking.istio.io/v1 needs Istio 1.22; use v1beta1`);
  }
  for (const file of istioYamlFiles()) {
    assert.ok(readText(file).includes(`Istio >= ${MIN_ISTIO}`), `${file}: a comment states the minimum (Istio >= ${MIN_ISTIO})`);
  }
});

test('istio/wasmplugin.yaml: sidecar, outbound only, native form', () => {
  const { doc } = wasmPlugins().find((p) => p.file === 'istio/wasmplugin.yaml')!;
  assert.deepEqual(doc.spec.match.map((m: Any) => m.mode), ['CLIENT']);
  assert.ok(Array.isArray(doc.spec.pluginConfig.routes), 'native form');
  const ports = doc.spec.match[0].ports.map((p: Any) => p.number);
  // Same-port limit: every destination must be on a port the plugin runs for.
  for (const r of doc.spec.pluginConfig.routes) {
    const port = /:(\d+)(?:\/|$)/.exec(r.destination.replace(/^https?:\/\//, ''))?.[1];
    assert.ok(port && ports.includes(Number(port)), `route ${r.name}: destination port ${port} is a matched port`);
  }
  assert.ok(doc.spec.pluginConfig.routes.some((r: Any) => r.destination === 'reviews-v2.default.svc.cluster.local:9080'));
  assert.ok(readText('istio/wasmplugin.yaml').includes('outbound|9080||reviews-v2.default.svc.cluster.local'));
});

test('istio/wasmplugin-gateway.yaml: gateway, dispatcher form, every authority has a VirtualService on the gateway', () => {
  const docs = readYamlDocs('istio/wasmplugin-gateway.yaml');
  const plugin = docs.find((d) => d.kind === 'WasmPlugin');
  const gateway = docs.find((d) => d.kind === 'Gateway');
  assert.equal(plugin.spec.selector.matchLabels.istio, 'ingressgateway');
  assert.equal(plugin.spec.match, undefined, 'gateways: default CLIENT_AND_SERVER');
  const cfg = plugin.spec.pluginConfig;
  assert.ok(cfg.rewrites, 'dispatcher form');
  const gw = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
  const authorities = [cfg.destination, ...Object.values<Any>(cfg.rewrites).map((r) => r.destination)]
    .filter(Boolean)
    .map((d: string) => d.replace(/^https?:\/\//, '').split('/')[0].split(':')[0]);
  for (const host of authorities) {
    assert.ok(gateway.spec.servers.some((s: Any) => s.hosts.includes(host)), `Gateway serves ${host}`);
    const vs = docs.find((d) => d.kind === 'VirtualService' && d.spec.hosts.includes(host));
    assert.ok(vs, `a VirtualService for ${host}`);
    assert.ok(vs.spec.gateways.includes(gw), `VirtualService for ${host} is bound to ${gw}`);
    for (const h of vs.spec.http) assert.equal(h.rewrite?.authority, undefined, 'no authority rewrite after the filter');
  }
});

test('istio/Dockerfile: FROM scratch with /plugin.wasm from the build', () => {
  const lines = readText('istio/Dockerfile').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  assert.deepEqual(lines, ['FROM scratch', 'COPY build/routekey.wasm /plugin.wasm']);
});

test('istio/: the metrics settings let wasmcustom.routekey.* through', () => {
  const names = ['wasmcustom.routekey.routed.route.dev', 'wasmcustom.routekey.default', 'wasmcustom.routekey.passthrough'];
  const operator = readYaml('istio/proxy-stats.yaml');
  const matcher = operator.spec.meshConfig.defaultConfig.proxyStatsMatcher;
  const patch = readYaml('istio/pod-annotation-patch.yaml');
  const annotated = parse(patch.spec.template.metadata.annotations['proxy.istio.io/config']).proxyStatsMatcher;
  for (const m of [matcher, annotated]) {
    for (const n of names) assert.ok(m.inclusionPrefixes.some((p: string) => n.startsWith(p)), `${n} included`);
    assert.ok(!m.inclusionPrefixes.some((p: string) => 'wasmcustom.other.x'.startsWith(p)), 'only routekey');
  }
  // The optional bootstrap override carries the same stats_tags as envoy/envoy.yaml.
  const cm = readYaml('istio/bootstrap-stats-tags.yaml');
  assert.equal(cm.kind, 'ConfigMap');
  const override = JSON.parse(cm.data['custom_bootstrap.json']);
  assert.deepEqual(override.stats_config.stats_tags, readYaml('envoy/envoy.yaml').stats_config.stats_tags);
});
