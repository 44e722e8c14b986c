// The configurations we ship — in envoy/, istio/ and the ```json blocks of README.md — are
// accepted by the BUILT filter (build/routekey.wasm through host/lib/plugin.ts, the way Envoy's canary
// VM loads them), and the Envoy demo's configuration really sends each routing key to an
// authority envoy.yaml routes to the intended cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { findConfigurations, scanFile, checkConfiguration, ROOT_ID } from '../../host/app/validate.ts';
import type { Plugin } from '../../host/lib/index.ts';
import {
  WASM, filterMissing, istioYamlFiles, readmeJsonBlocks, readText, readYaml, envoyWasmFilter, pickVirtualHost, type Any,
} from './deploy-helpers.ts';

const SHIPPED = ['envoy/envoy.yaml', 'istio/wasmplugin.yaml', 'istio/wasmplugin-gateway.yaml'];

test('every configuration in envoy/ and istio/ is accepted by the built filter', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  // Nothing shipped escapes this test: every istio file either carries a configuration (and is
  // in SHIPPED) or is one of the metrics settings, which `routekey validate` skips.
  const noConfig = ['istio/bootstrap-stats-tags.yaml', 'istio/pod-annotation-patch.yaml', 'istio/proxy-stats.yaml'];
  const withConfig = istioYamlFiles().filter((f) => scanFile(f, readText(f)).configurations.length > 0);
  assert.deepEqual(withConfig, SHIPPED.filter((f) => f.startsWith('istio/')).sort());
  assert.deepEqual(istioYamlFiles().filter((f) => !withConfig.includes(f)), noConfig);
  const module = new Uint8Array(readFileSync(WASM));
  for (const file of SHIPPED) {
    const found = findConfigurations(file, readText(file));
    assert.equal(found.length, 1, `${file}: one configuration`);
    for (const { where, configuration, problems } of found) {
      assert.deepEqual(problems, [], `${file}: ${where}`);
      assert.deepEqual(await checkConfiguration(configuration, module), [], `${file}: ${where} accepted`);
    }
  }
});

test('every ```json block of README.md is accepted by the built filter', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const module = new Uint8Array(readFileSync(WASM));
  const blocks = readmeJsonBlocks();
  assert.ok(blocks.length >= 2, 'README.md shows both forms in ```json blocks (```jsonc one-liners are not checked)');
  for (const { where, text } of blocks) {
    // Byte for byte, as an Envoy StringValue would carry it.
    assert.deepEqual(await checkConfiguration(text, module), [], `${where} accepted`);
  }
});

test('envoy.yaml: the filter sends each routing key to the virtual host of its cluster', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const { startPlugin } = (await import('../../host/lib/index.ts')) as { startPlugin: (o: Any) => Promise<Plugin> };
  const bootstrap = readYaml('envoy/envoy.yaml');
  const config = envoyWasmFilter(bootstrap).typed_config.config;
  const vhosts = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts;
  const plugin = await startPlugin({
    wasm: new Uint8Array(readFileSync(WASM)), rootId: config.root_id, name: config.name, vmId: config.vm_config.vm_id,
    configuration: config.configuration.value, workers: 1,
  });
  try {
    assert.equal(config.root_id, ROOT_ID);
    const cases: Array<[Record<string, string>, string, string | undefined]> = [
      [{}, 'default', undefined],
      [{ environment: 'dev' }, 'dev', 'true'],
      [{ environment: 'staging' }, 'default', undefined],
    ];
    for (const [extra, cluster, dispatched] of cases) {
      const stream = plugin.createStream();
      const out = stream.onRequestHeaders(
        [[':method', 'GET'], [':path', '/'], [':scheme', 'http'], [':authority', 'localhost:10000'], ...Object.entries(extra)],
        true,
      );
      stream.complete();
      assert.equal(out.action, 'continue');
      const authority = out.headers.find(([k]) => k === ':authority')?.[1] ?? '';
      const vh = pickVirtualHost(vhosts, authority);
      assert.equal(vh?.routes[0].route.cluster, cluster, `${JSON.stringify(extra)}: ${authority} → cluster ${cluster}`);
      assert.notDeepEqual(vh.domains, ['*'], `${JSON.stringify(extra)}: not left to the catch-all`);
      assert.equal(out.headers.find(([k]) => k === 'dispatched')?.[1], dispatched);
      if (authority !== 'localhost:10000') assert.ok(out.routeCacheCleared, 'Envoy re-picks the route');
    }
  } finally {
    await plugin.close();
  }
});
