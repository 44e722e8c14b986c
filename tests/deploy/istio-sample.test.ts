// istio/sample/: the self-contained sample applies as it is on a fresh cluster with Istio, the image
// reference being the one placeholder. Every object validates (@kubernetes-models/istio for Istio
// kinds; for core kinds, whose models are not installed, @kubernetes-models/apimachinery for
// metadata and selectors plus the fields below); the built filter accepts each pluginConfig and
// sends each routing key, through the virtual hosts Istio builds from the sample's Services and
// VirtualServices, to the intended Service on the original port; selectors meet pod labels;
// images are pinned; istio/sample/README.md applies every manifest in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { findConfigurations, checkConfiguration } from '../../host/app/validate.ts';
import { imageReferenceProblems } from '../../host/app/image-ref.ts';
import type { Plugin } from '../../host/lib/index.ts';
import { MIN_ISTIO, MODELS, coreProblems, sidecarVirtualHosts, wasmPluginSpecProblems } from './istio-helpers.ts';
import {
  WASM, at, destinationAuthority, destinations, filterMissing, pickVirtualHost, readText, readYaml, type Any,
} from './deploy-helpers.ts';

const DIR = 'istio/sample';
const NS = 'routekey-sample';
/** The Service the client calls: the "original" destination a rewrite must share a port with. */
const ORIGINAL = 'svc-a';
const FILES = ['00-namespace.yaml', '10-services.yaml', '20-wasmplugin.yaml', '30-gateway.yaml'].map((f) => `${DIR}/${f}`);
const SIDECAR = `${DIR}/20-wasmplugin.yaml`;
const GATEWAY = `${DIR}/30-gateway.yaml`;

type Obj = { file: string; doc: Any };
const docsOf = (text: string): Any[] => parseAllDocuments(text).map((d) => d.toJS()).filter((d) => d != null);
const objectsIn = (texts: Record<string, string>): Obj[] =>
  Object.entries(texts).flatMap(([file, text]) => docsOf(text).map((doc) => ({ file, doc })));
const sampleTexts = () => Object.fromEntries(FILES.map((f) => [f, readText(f)]));
const objects = () => objectsIn(sampleTexts());
const ofKind = (objs: Obj[], kind: string) => objs.filter((o) => o.doc.kind === kind).map((o) => o.doc);
const fqdn = (svc: Any) => `${svc.metadata.name}.${svc.metadata.namespace}.svc.cluster.local`;
const subset = (sel: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(sel).every(([k, v]) => labels[k] === v);

test('istio/sample/: every manifest validates, in its namespace, on Istio >= 1.19', () => {
  assert.deepEqual(readdirSync(at(DIR)).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${DIR}/${f}`), FILES,
    'a new manifest needs its place in FILES and in istio/sample/README.md');
  const objs = objects();
  assert.deepEqual(objs.map((o) => o.doc.kind).sort(),
    ['Deployment', 'Deployment', 'Deployment', 'Gateway', 'Namespace', 'Service', 'Service', 'VirtualService', 'VirtualService', 'WasmPlugin', 'WasmPlugin']);
  for (const { file, doc } of objs) {
    const where = `${file}: ${doc.kind} ${doc.metadata?.name}`;
    assert.ok(doc.metadata?.name, `${where}: has a name`);
    const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
    if (Model) assert.doesNotThrow(() => new Model(doc).validate(), where);
    else assert.deepEqual(coreProblems(where, doc), []);
    if (doc.kind === 'WasmPlugin') assert.deepEqual(wasmPluginSpecProblems(file, doc.spec), []);
    assert.notEqual(doc.apiVersion, 'networking.istio.io/v1', `${where}: v1 needs Istio 1.22`);
    // Namespaced objects say where they go, so that `kubectl apply -f` does not use the current one.
    if (doc.kind !== 'Namespace') {
      const expected = doc.kind === 'WasmPlugin' && file === GATEWAY ? 'istio-system' : NS;
      assert.equal(doc.metadata.namespace, expected, `${where}: namespace`);
    }
  }
  const [ns] = ofKind(objs, 'Namespace');
  assert.equal(ns.metadata.name, NS);
  assert.equal(ns.metadata.labels['istio-injection'], 'enabled', 'sidecars injected');
  for (const file of FILES) assert.ok(readText(file).includes(`Istio >= ${MIN_ISTIO}`), `${file}: states Istio >= ${MIN_ISTIO}`);
  // The checks above can fail: a misspelt field of a core kind is found.
  assert.notDeepEqual(coreProblems('x', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { port: [] } }), []);
});

test('istio/sample/: the WasmPlugins load routekey on the caller (CLIENT) and on the gateway', () => {
  const objs = objects();
  const [sidecar, gateway] = [SIDECAR, GATEWAY].map((f) => objs.find((o) => o.file === f && o.doc.kind === 'WasmPlugin')!.doc);
  for (const p of [sidecar, gateway]) {
    assert.equal(p.spec.pluginName, 'routekey');
    assert.equal(p.spec.phase, 'AUTHN');
    assert.equal(p.spec.failStrategy, 'FAIL_CLOSE');
    assert.equal(p.spec.imagePullPolicy, 'IfNotPresent');
  }
  assert.deepEqual(sidecar.spec.match, [{ mode: 'CLIENT', ports: [{ number: 80 }] }]);
  assert.equal(gateway.spec.match, undefined);
  // Selectors meet pod labels: the sidecar plugin selects the client pods and no callee.
  const deployments = ofKind(objs, 'Deployment');
  const selected = deployments.filter((d) => subset(sidecar.spec.selector.matchLabels, d.spec.template.metadata.labels));
  assert.deepEqual(selected.map((d) => d.metadata.name), ['client']);
  const [gw] = ofKind(objs, 'Gateway');
  assert.deepEqual(gateway.spec.selector.matchLabels, { istio: 'ingressgateway' });
  assert.deepEqual(gw.spec.selector, gateway.spec.selector.matchLabels, 'the plugin runs where the Gateway is served');
});

test('istio/sample/: Services and Deployments select each other; images are pinned', () => {
  const objs = objects();
  const deployments = ofKind(objs, 'Deployment');
  for (const d of deployments) {
    assert.ok(subset(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${d.metadata.name}: selector ⊆ pod labels`);
    const others = deployments.filter((o) => o !== d && subset(d.spec.selector.matchLabels, o.spec.template.metadata.labels));
    assert.deepEqual(others, [], `${d.metadata.name}: its selector matches no other Deployment's pods`);
    for (const c of d.spec.template.spec.containers) {
      const m = /^[a-z0-9][a-z0-9./_-]*(?::([\w][\w.-]*)|@sha256:[a-f0-9]{64})$/.exec(c.image);
      assert.ok(m, `${d.metadata.name}: ${c.image} names a tag or digest`);
      assert.ok(m[1] === undefined || (m[1] !== 'latest' && /\d/.test(m[1])), `${d.metadata.name}: ${c.image}: a version tag, not ${m[1]}`);
    }
  }
  for (const s of ofKind(objs, 'Service')) {
    const pods = deployments.filter((d) => subset(s.spec.selector, d.spec.template.metadata.labels));
    assert.deepEqual(pods.map((d) => d.metadata.name), [s.metadata.name], `Service ${s.metadata.name} selects its Deployment only`);
    const [d] = pods;
    for (const sp of s.spec.ports) {
      const target = d.spec.template.spec.containers.flatMap((c: Any) => c.ports ?? []).find((cp: Any) => cp.containerPort === sp.targetPort || cp.name === sp.targetPort);
      assert.ok(target, `Service ${s.metadata.name}: targetPort ${sp.targetPort} is a container port`);
    }
  }
});

/** Where each destination of a WasmPlugin's pluginConfig lands: [authority, Service, port]. */
function landing(objs: Obj[], file: string): Array<{ where: string; authority: string; service: Any; port: number }> {
  const services = ofKind(objs, 'Service');
  const plugin = objs.find((o) => o.file === file && o.doc.kind === 'WasmPlugin')!.doc;
  return destinations(plugin.spec.pluginConfig).map(({ where, destination }) => {
    const authority = destinationAuthority(destination);
    const [host, portText] = authority.split(':');
    if (file === SIDECAR) {
      // A sidecar: the authority must name a mesh Service by its FQDN, with the port.
      const service = services.find((s) => fqdn(s) === host);
      return { where, authority, service, port: Number(portText) };
    }
    // A gateway: the authority must be a host of a VirtualService bound to the Gateway.
    const vs = ofKind(objs, 'VirtualService').find((v) => v.spec.hosts.includes(host));
    const route = vs?.spec.http[0].route[0].destination;
    return { where, authority, service: services.find((s) => fqdn(s) === route?.host), port: route?.port.number };
  });
}

test('istio/sample/: every destination is a Service of the sample on the original port', () => {
  const objs = objects();
  const original = ofKind(objs, 'Service').find((s) => s.metadata.name === ORIGINAL);
  const originalPorts = original.spec.ports.map((p: Any) => p.port);
  const sidecar = objs.find((o) => o.file === SIDECAR && o.doc.kind === 'WasmPlugin')!.doc;
  const matched = sidecar.spec.match[0].ports.map((p: Any) => p.number);
  assert.deepEqual(matched, originalPorts, 'the plugin runs on the port the client calls');
  for (const file of [SIDECAR, GATEWAY]) {
    const out = landing(objs, file);
    assert.ok(out.length > 0, `${file}: has destinations`);
    for (const { where, authority, service, port } of out) {
      assert.ok(service, `${file}: ${where}: ${authority} lands on a Service of the sample`);
      assert.notEqual(service.metadata.name, ORIGINAL, `${file}: ${where}: goes somewhere else than the baseline`);
      assert.ok(service.spec.ports.some((p: Any) => p.port === port), `${file}: ${where}: port ${port} is a port of ${service.metadata.name}`);
      assert.ok(originalPorts.includes(port), `${file}: ${where}: port ${port} is the original's (${originalPorts})`);
    }
  }
  // The gateway's baseline host routes to the original, on the same port.
  const gw = ofKind(objs, 'Gateway')[0];
  const bound = ofKind(objs, 'VirtualService');
  for (const vs of bound) {
    assert.deepEqual(vs.spec.gateways, [`${gw.metadata.namespace}/${gw.metadata.name}`], `${vs.metadata.name}: bound to the Gateway only`);
    for (const h of vs.spec.hosts) assert.ok(gw.spec.servers[0].hosts.includes(h), `Gateway serves ${h}`);
    for (const r of vs.spec.http) assert.equal(r.rewrite?.authority, undefined, 'no authority rewrite after the filter');
  }
});

/** The ingress gateway's route config for the Gateway's port: one virtual host per bound VirtualService host. */
function gatewayVirtualHosts(objs: Obj[]): Any[] {
  return ofKind(objs, 'VirtualService').flatMap((vs) => vs.spec.hosts.map((h: string) => {
    const d = vs.spec.http[0].route[0].destination;
    return { domains: [h, `${h}:*`], routes: [{ route: { cluster: `outbound|${d.port.number}||${d.host}` } }] };
  }));
}

test('istio/sample/: the built filter accepts each pluginConfig and routes environment: dev to the sandbox', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const { startPlugin } = (await import('../../host/lib/index.ts')) as { startPlugin: (o: Any) => Promise<Plugin> };
  const wasm = new Uint8Array(readFileSync(WASM));
  const objs = objects();
  const dev = (s: string) => `outbound|80||${s}.${NS}.svc.cluster.local`;
  const cases: Record<string, { authority: string; vhosts: Any[] }> = {
    [SIDECAR]: { authority: 'svc-a', vhosts: sidecarVirtualHosts(ofKind(objs, 'Service'), 80) },
    [GATEWAY]: { authority: 'svc-a.example.com', vhosts: gatewayVirtualHosts(objs) },
  };
  for (const [file, { authority, vhosts }] of Object.entries(cases)) {
    const found = findConfigurations(file, readText(file));
    assert.equal(found.length, 1, `${file}: one configuration`);
    const [{ where, configuration, problems }] = found;
    // The image reference is checked on its own (next test); nothing else may be wrong.
    assert.deepEqual(problems.filter((p) => !/spec\.(url|sha256): /.test(p)), [], `${file}: ${where}`);
    assert.deepEqual(await checkConfiguration(configuration, wasm), [], `${file}: ${where} accepted by the built filter`);
    const plugin = await startPlugin({ wasm, rootId: 'routekey', name: 'routekey', vmId: 'routekey', configuration, workers: 1 });
    try {
      for (const [extra, cluster, decision] of [
        [{}, dev('svc-a'), 'none'],
        [{ environment: 'dev' }, dev('svc-a-dev'), 'dev'],
        [{ environment: 'staging' }, dev('svc-a'), 'none'],
      ] as Array<[Record<string, string>, string, string]>) {
        const stream = plugin.createStream();
        const out = stream.onRequestHeaders(
          [[':method', 'GET'], [':path', '/'], [':scheme', 'http'], [':authority', authority], ...Object.entries(extra)], true);
        const response = stream.onResponseHeaders([[':status', '200']], true);
        stream.complete();
        const rewritten = out.headers.find(([k]) => k === ':authority')?.[1] ?? '';
        const vh = pickVirtualHost(vhosts, rewritten);
        assert.equal(vh?.routes[0].route.cluster, cluster, `${file}: ${JSON.stringify(extra)}: ${rewritten} → ${cluster}`);
        assert.equal(response.headers.find(([k]) => k === 'x-routekey-route')?.[1], decision, `${file}: decision header`);
        if (rewritten !== authority) assert.ok(out.routeCacheCleared, `${file}: Envoy re-picks the route`);
      }
    } finally {
      await plugin.close();
    }
  }
});

/** String values in the manifests that look like a placeholder. */
const PLACEHOLDER = /\b(REGISTRY|VERSION|DIGEST|CHANGE_?ME|TODO|FIXME|XXX)\b|<[^>]*>/;
function placeholders(objs: Obj[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (typeof v === 'string' && PLACEHOLDER.test(v)) out.push(`${path} = ${v}`);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
  };
  for (const { file, doc } of objs) walk(doc, `${file}: ${doc.kind} ${doc.metadata?.name}`);
  return out;
}

test('istio/sample/: the image reference is the only placeholder, and README.md fills it in', () => {
  const objs = objects();
  const plugins = (os: Obj[]) => os.filter((o) => o.doc.kind === 'WasmPlugin');
  assert.deepEqual(placeholders(objs), plugins(objs).flatMap(({ file, doc }) => [
    `${file}: WasmPlugin ${doc.metadata.name}.spec.url = oci://REGISTRY/routekey:VERSION`,
    `${file}: WasmPlugin ${doc.metadata.name}.spec.sha256 = DIGEST`,
  ]));
  for (const { doc } of plugins(objs)) {
    // What `routekey validate` says once host/app/image-ref.ts is wired into it.
    assert.equal(imageReferenceProblems(doc.spec, 'x').length, 2, `${doc.metadata.name}: placeholder refused`);
  }
  // The README's sed, applied as written, leaves a sample with no placeholder that still validates.
  const readme = readText(`${DIR}/README.md`);
  const sed = /^sed -i ((?:-e '[^']*' \\\n\s*)+)(.*)$/m.exec(readme);
  assert.ok(sed, 'README.md has the sed that fills in the image reference');
  const substitutions = [...sed[1].matchAll(/-e 's\|([^|]*)\|([^|]*)\|'/g)].map((m) => [m[1], m[2]]);
  assert.equal(substitutions.length, 2);
  const targets = sed[2].trim().split(/\s+/);
  assert.deepEqual(targets, [SIDECAR, GATEWAY], 'the sed edits both WasmPlugin files');
  const filled = sampleTexts();
  for (const f of targets) for (const [from, to] of substitutions) filled[f] = filled[f].split(from).join(to);
  const after = objectsIn(filled);
  assert.deepEqual(placeholders(after), []);
  for (const { doc } of plugins(after)) {
    assert.deepEqual(imageReferenceProblems(doc.spec, doc.metadata.name), []);
    assert.doesNotThrow(() => new MODELS['extensions.istio.io/v1alpha1/WasmPlugin'](doc).validate());
  }
});

test('istio/sample/README.md: applies every manifest in order; Helm values match the IstioOperator', () => {
  const readme = readText(`${DIR}/README.md`);
  const applied = [...readme.matchAll(/^kubectl apply -f (istio\/\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(applied.filter((f) => f.startsWith(`${DIR}/`)), FILES, 'kubectl apply -f for each manifest, in order');
  for (const f of ['istio/pod-annotation-patch.yaml', 'istio/proxy-stats.yaml', 'istio/helm/istiod-stats-values.yaml', 'istio/bootstrap-stats-tags.yaml']) {
    assert.ok(readme.includes(f), `README.md uses ${f}`);
    assert.doesNotThrow(() => readText(f), `${f} exists`);
  }
  assert.match(readme, /imagePullSecret: /);
  assert.match(readme, /exec deploy\/client -c client -- curl .*environment: dev/);
  assert.match(readme, /curl .*Host: svc-a\.example\.com.*environment: dev/);
  // The same matcher whichever way Istio was installed.
  assert.deepEqual(readYaml('istio/helm/istiod-stats-values.yaml').meshConfig, readYaml('istio/proxy-stats.yaml').spec.meshConfig);
});
