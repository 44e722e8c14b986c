// istio/rules-server/: the rules server's ConfigMap, Deployment and Service, the ServiceEntry for
// a server outside the mesh and the WasmPlugin calling it. The Istio kinds validate with
// @kubernetes-models/istio; the core kinds (no @kubernetes-models package for them is installed)
// have their metadata validated with @kubernetes-models/apimachinery and the fields that must
// agree with each other checked here. The documents go through the built filter. And the bundle
// those manifests (and docker-compose) run is built and served from a folder without node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { ObjectMeta } from '@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta';
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { ServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import { checkConfiguration, checkRulesDocument } from '../../host/app/validate.ts';
import { ROOT, WASM, filterMissing, readText, readYamlDocs, type Any } from './deploy-helpers.ts';
import { run } from '../e2e/process.ts';

const DIR = 'istio/rules-server';
const docs = ['rules-server.yaml', 'serviceentry.yaml', 'wasmplugin-live-rules.yaml'].flatMap((f) => readYamlDocs(`${DIR}/${f}`).map((doc) => ({ file: f, doc })));
const one = (kind: string): Any => {
  const found = docs.filter(({ doc }) => doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!.doc;
};
const configMap = one('ConfigMap');
const deployment = one('Deployment');
const service = one('Service');
const serviceEntry = one('ServiceEntry');
const plugin = one('WasmPlugin');
const container = deployment.spec.template.spec.containers[0];
const rulesService = plugin.spec.pluginConfig.rulesService;
const noFilter = filterMissing() ?? false;

test('istio/rules-server: every object validates (Istio kinds with their models, metadata of the others)', () => {
  for (const { file, doc } of docs) {
    assert.ok(doc.metadata?.name && doc.metadata?.namespace, `${file}: ${doc.kind} has a name and a namespace`);
    new ObjectMeta(doc.metadata).validate();
  }
  new WasmPlugin(plugin).validate();
  new ServiceEntry(serviceEntry).validate();
  assert.deepEqual(docs.map(({ doc }) => `${doc.apiVersion}/${doc.kind}`).sort(), [
    'apps/v1/Deployment', 'extensions.istio.io/v1alpha1/WasmPlugin', 'networking.istio.io/v1beta1/ServiceEntry', 'v1/ConfigMap', 'v1/Service',
  ]);
  // A misspelt field would be ignored by the models above: the core objects' shapes by hand.
  assert.deepEqual(Object.keys(configMap.data), ['rules.json']);
  assert.equal(deployment.spec.template.spec.containers.length, 1);
  assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels, 'the Service selects the pods');
});

test('the Deployment runs the bundle on a pinned node image, listening where the Service sends', () => {
  assert.match(container.image, /^node:20\.\d+\.\d+-alpine\d+\.\d+$/, 'node image pinned');
  const [node, script, command, file, ...flags] = container.command as string[];
  assert.deepEqual([node, command], ['node', 'rules-server']);
  const flag = (name: string) => flags[flags.indexOf(name) + 1];
  const volumes = Object.fromEntries(deployment.spec.template.spec.volumes.map((v: Any) => [v.name, v]));
  /** The ConfigMap and key a path in the container comes from. */
  const fromConfigMap = (path: string) => {
    const m = container.volumeMounts.find((x: Any) => path.startsWith(`${x.mountPath}/`));
    assert.ok(m, `${path} is under a volume mount`);
    assert.equal(m.readOnly, true);
    return { configMap: volumes[m.name].configMap.name as string, key: path.slice(m.mountPath.length + 1) };
  };
  assert.deepEqual(fromConfigMap(script!), { configMap: 'routekey-rules-server-code', key: 'routekey-cli.mjs' });
  assert.deepEqual(fromConfigMap(flag('--wasm')!), { configMap: 'routekey-rules-server-code', key: 'routekey.wasm' });
  assert.deepEqual(fromConfigMap(file!), { configMap: configMap.metadata.name, key: 'rules.json' });
  // The header says how the code ConfigMap is made: from the files the paths above name.
  const header = readText(`${DIR}/rules-server.yaml`);
  assert.match(header, /create configmap routekey-rules-server-code\s*\\\s*\n#\s*--from-file=build\/routekey-cli\.mjs --from-file=build\/routekey\.wasm/);
  assert.match(readText('Makefile'), /--outfile=build\/routekey-cli\.mjs/, 'make bundle writes the script');
  assert.equal(flag('--host'), '0.0.0.0');
  const port = container.ports.find((p: Any) => p.name === service.spec.ports[0].targetPort);
  assert.ok(port, 'the Service targets a named container port');
  assert.equal(String(port.containerPort), flag('--port'));
  assert.equal(container.readinessProbe.httpGet.path, `/${posix.basename(file!)}`, 'ready only while the document is served');
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.match(service.spec.ports[0].name, /^http(-|$)/, 'Istio protocol selection by port name');
});

test('the WasmPlugin calls the Service by Istio\'s cluster name outbound|PORT||HOST, at the path it is served', () => {
  const host = `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
  assert.equal(rulesService.cluster, `outbound|${service.spec.ports[0].port}||${host}`);
  assert.equal(rulesService.authority, `${host}:${service.spec.ports[0].port}`);
  assert.equal(rulesService.path, `/${posix.basename(container.command[3])}`);
  assert.equal(plugin.spec.pluginName, 'routekey');
  // The ServiceEntry's cluster, as its comment and the WasmPlugin's name it.
  const [h] = serviceEntry.spec.hosts;
  const external = `outbound|${serviceEntry.spec.ports[0].number}||${h}`;
  assert.ok(readText(`${DIR}/serviceentry.yaml`).includes(`cluster "${external}"`));
  assert.ok(readText(`${DIR}/wasmplugin-live-rules.yaml`).includes(external));
  assert.equal(serviceEntry.spec.location, 'MESH_EXTERNAL');
  assert.equal(serviceEntry.spec.ports[0].protocol, 'HTTP', 'the filter\'s call is plain HTTP');
});

test('the filter accepts the WasmPlugin\'s configuration and the ConfigMap\'s rules document', { skip: noFilter }, async () => {
  assert.deepEqual(await checkConfiguration(JSON.stringify(plugin.spec.pluginConfig)), []);
  assert.deepEqual(await checkRulesDocument(configMap.data['rules.json']), []);
  // Not vacuous: a broken document is refused by the same check.
  assert.notDeepEqual(await checkRulesDocument(configMap.data['rules.json'].replace(':9080', ':0')), []);
});

test('make bundle: build/routekey-cli.mjs serves rules from a folder without node_modules', { skip: noFilter, timeout: 60_000 }, async () => {
  execFileSync('make', ['-s', '-o', 'node_modules', 'bundle'], { cwd: ROOT, stdio: 'pipe' });
  const dir = mkdtempSync(join(tmpdir(), 'routekey-bundle-'));
  try {
    // Only what the containers mount: the script, the module and the rules.
    copyFileSync(join(ROOT, 'build/routekey-cli.mjs'), join(dir, 'routekey-cli.mjs'));
    copyFileSync(WASM, join(dir, 'routekey.wasm'));
    writeFileSync(join(dir, 'rules.json'), configMap.data['rules.json']);
    const p = run([join(dir, 'routekey-cli.mjs'), 'rules-server', join(dir, 'rules.json'), '--wasm', join(dir, 'routekey.wasm'), '--port', '0']);
    try {
      const [, port] = await p.waitFor(/at http:\/\/127\.0\.0\.1:(\d+)\/rules\.json/, 30_000);
      const r = await fetch(`http://127.0.0.1:${port}/rules.json`);
      assert.equal(r.status, 200);
      assert.equal((await r.json()).version, JSON.parse(configMap.data['rules.json']).version);
      assert.equal(await p.stop(), 0, p.out());
    } finally {
      await p.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
