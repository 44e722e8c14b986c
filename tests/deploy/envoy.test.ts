// envoy/: the bootstrap, the local overlay and docker-compose agree with each other and with the
// filter configuration they carry. Static checks: nothing is started here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { posix } from 'node:path';
import { applyOverlay } from '../../host/app/overlay.ts';
import {
  ROOT, readText, readYaml, envoyWasmFilter, pickVirtualHost, destinationAuthority, destinations, type Any,
} from './deploy-helpers.ts';

const bootstrap = readYaml('envoy/envoy.yaml');
const overlay = readYaml('envoy/local.yaml');
const compose = readYaml('envoy/docker-compose.yaml');
const listener = bootstrap.static_resources.listeners[0];
const hcm = listener.filter_chains[0].filters[0].typed_config;
const vhosts: Any[] = hcm.route_config.virtual_hosts;
const clusters: Any[] = bootstrap.static_resources.clusters;
const wasm = envoyWasmFilter(bootstrap).typed_config;
const config = JSON.parse(wasm.config.configuration.value);
const clusterOf = (vh: Any) => vh.routes.find((r: Any) => r.match.prefix === '/')?.route?.cluster;
/** The cluster the filter's rulesService calls (no route goes there). */
const RULES_CLUSTER = 'routekey-rules';
const routed = clusters.filter((c) => c.name !== RULES_CLUSTER);

test('envoy.yaml: listener on 0.0.0.0:10000, admin on 0.0.0.0:9901', () => {
  assert.equal(bootstrap.static_resources.listeners.length, 1);
  assert.deepEqual(listener.address.socket_address, { address: '0.0.0.0', port_value: 10000 });
  assert.deepEqual(bootstrap.admin.address.socket_address, { address: '0.0.0.0', port_value: 9901 });
  assert.equal(hcm.codec_type, 'AUTO');
  assert.ok(hcm.stat_prefix);
});

test('envoy.yaml: the wasm filter runs routekey, fails closed, and the router comes last', () => {
  const names = hcm.http_filters.map((f: Any) => f.name);
  assert.deepEqual(names, ['envoy.filters.http.wasm', 'envoy.filters.http.router']);
  assert.equal(wasm['@type'], 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm');
  assert.equal(wasm.config.root_id, 'routekey', 'root_id must be the root id the module registers');
  assert.equal(wasm.config.name, 'routekey');
  assert.equal(wasm.config.fail_open, false, 'fail closed on purpose (see the comment in envoy.yaml)');
  assert.equal(wasm.config.vm_config.runtime, 'envoy.wasm.runtime.v8');
  assert.equal(wasm.config.vm_config.vm_id, 'routekey');
  assert.equal(wasm.config.vm_config.code.local.filename, '/etc/routekey/routekey.wasm', 'build/ is mounted at /etc/routekey');
  assert.equal(wasm.config.configuration['@type'], 'type.googleapis.com/google.protobuf.StringValue');
  // The native form: the original dispatcher's form (still accepted, tests/filter/dispatch.test.ts
  // runs its exact configuration) has no rulesService. Same routing as the original demo's
  // {"rewrites": {"dev": {"patch": [{"key": "dispatched", "val": true}], ...}}}.
  assert.deepEqual(config, {
    key: 'environment',
    routes: [{ name: 'dev', keys: ['dev'], destination: 'http://dev.demo', requestHeaders: { set: { dispatched: 'true' } } }],
    default: { destination: 'http://default.demo' },
    rulesService: {
      cluster: RULES_CLUSTER, authority: 'rules.local', path: '/rules.json', refreshMs: 5000, timeoutMs: 2000,
      initial: 'inline', longPollSeconds: 30,
    },
  });
});

test('envoy.yaml: the rules cluster exists, no route uses it, and envoy/rules.json starts with the inline routes', () => {
  assert.ok(clusters.some((c) => c.name === config.rulesService.cluster), 'rulesService.cluster is a cluster of the bootstrap');
  for (const vh of vhosts) for (const r of vh.routes) assert.notEqual(r.route.cluster, RULES_CLUSTER, `${vh.name}: no route to the rules cluster`);
  // The demo's rules server serves each file at /<basename>: the path the filter asks for.
  assert.equal(config.rulesService.path, '/rules.json');
  const doc = JSON.parse(readText('envoy/rules.json'));
  // Until the first fetch the configuration's routes serve: the same as the document's, so the
  // demo routes the same whether or not the rules server is up.
  assert.deepEqual({ routes: doc.routes, default: doc.default }, { routes: config.routes, default: config.default });
  assert.match(doc.version, /^demo-\d+$/);
  // Every authority the document can produce has its own virtual host too.
  for (const { where, destination } of destinations(doc)) {
    assert.notDeepEqual(pickVirtualHost(vhosts, destinationAuthority(destination))?.domains, ['*'], `envoy/rules.json ${where}`);
  }
});

test('envoy.yaml: virtual hosts default.demo, dev.demo and a catch-all, each to an existing cluster', () => {
  const clusterNames = clusters.map((c) => c.name);
  assert.deepEqual(clusterNames.sort(), ['default', 'dev', RULES_CLUSTER]);
  const byName = Object.fromEntries(vhosts.map((vh) => [vh.domains[0], vh]));
  assert.deepEqual(byName['default.demo'].domains, ['default.demo', 'default.demo:*']);
  assert.deepEqual(byName['dev.demo'].domains, ['dev.demo', 'dev.demo:*']);
  assert.equal(clusterOf(byName['default.demo']), 'default');
  assert.equal(clusterOf(byName['dev.demo']), 'dev');
  assert.equal(clusterOf(byName['*']), 'default');
  for (const vh of vhosts) {
    for (const r of vh.routes) {
      assert.ok(clusterNames.includes(r.route.cluster), `${vh.name}: cluster ${r.route.cluster} exists`);
      // The router would overwrite the filter's :authority.
      for (const k of ['host_rewrite_literal', 'auto_host_rewrite', 'host_rewrite_header', 'host_rewrite_path_regex']) {
        assert.equal(r.route[k], undefined, `${vh.name}: no ${k}`);
      }
    }
  }
});

test('envoy.yaml: every authority the configuration can produce is served by its own virtual host', () => {
  const expected: Record<string, string> = { 'http://default.demo': 'default', 'http://dev.demo': 'dev' };
  const found = destinations(config);
  assert.ok(found.length >= 2);
  for (const { where, destination } of found) {
    const authority = destinationAuthority(destination);
    for (const a of [authority, `${authority}:10000`]) {
      const vh = pickVirtualHost(vhosts, a);
      assert.ok(vh, `${where} (${a}) has a virtual host`);
      assert.notDeepEqual(vh.domains, ['*'], `${where} (${a}) is served by its own virtual host, not the catch-all`);
      const cluster = clusterOf(vh);
      assert.ok(clusters.some((c) => c.name === cluster), `${where} → cluster ${cluster} exists`);
      if (expected[destination]) assert.equal(cluster, expected[destination], `${where} → cluster`);
    }
  }
  // A request the filter leaves alone (Host: localhost:10000) still has somewhere to go.
  assert.equal(clusterOf(pickVirtualHost(vhosts, 'localhost:10000')), 'default');
});

test('envoy.yaml: clusters are STRICT_DNS to the compose services on 8080', () => {
  for (const c of clusters) {
    assert.equal(c.type, 'STRICT_DNS');
    assert.equal(c.load_assignment.cluster_name, c.name);
    const eps = c.load_assignment.endpoints.flatMap((e: Any) => e.lb_endpoints);
    assert.equal(eps.length, 1);
    const service = c.name === RULES_CLUSTER ? 'rules-server' : `upstream-${c.name}`;
    assert.deepEqual(eps[0].endpoint.address.socket_address, { address: service, port_value: 8080 });
  }
});

test('envoy.yaml: stats_tags turns routekey.routed.route.<name> into a route label', () => {
  const tags = bootstrap.stats_config.stats_tags;
  assert.deepEqual(tags.map((t: Any) => t.tag_name), ['route', 'reason', 'key_source']);
  const re = new RegExp(tags[0].regex);
  // Envoy: the first capture group is cut from the name, the second is the tag value.
  const extract = (name: string) => {
    const m = re.exec(name);
    if (!m) return { name, value: undefined };
    return { name: name.replace(m[1], ''), value: m[2] ?? m[1] };
  };
  assert.deepEqual(extract('wasmcustom.routekey.routed.route.dev'), { name: 'wasmcustom.routekey.routed', value: 'dev' });
  assert.deepEqual(extract('wasmcustom.routekey.routed.route.pr-42_x'), { name: 'wasmcustom.routekey.routed', value: 'pr-42_x' });
  // Other counters keep their names; nothing outside the wasmcustom. namespace is touched.
  assert.equal(extract('wasmcustom.routekey.default').value, undefined);
  assert.equal(extract('wasmcustom.routekey.passthrough').value, undefined);
  assert.equal(extract('cluster.dev.upstream_rq_total').value, undefined);
  assert.equal(extract('wasmcustom.routekey.routed.route.a.b').value, undefined, 'a dot is not part of a route name');
  // Prometheus output drops the wasmcustom. namespace and turns dots into underscores.
  const prom = extract('wasmcustom.routekey.routed.route.dev').name.replace(/^wasmcustom\./, '').replace(/\./g, '_');
  assert.equal(prom, 'routekey_routed');
  // README.md (Operations) gives the same regex.
  assert.ok(readText('README.md').includes(tags[0].regex), 'the regex in README.md is the one in envoy.yaml');
});

test('local.yaml: the overlay the local runner uses', () => {
  assert.deepEqual(overlay, {
    listener: { address: '127.0.0.1', port: 10000 },
    admin: { address: '127.0.0.1', port: 9901 },
    clusters: {
      default: { address: '127.0.0.1', port: 10101 }, dev: { address: '127.0.0.1', port: 10102 },
      [RULES_CLUSTER]: { address: '127.0.0.1', port: 10103 },
    },
    wasm: { filename: 'build/routekey.wasm' },
  });
  for (const name of Object.keys(overlay.clusters)) assert.ok(clusters.some((c) => c.name === name), `cluster ${name} exists`);
});

test('overlay.ts: applying local.yaml gives a bootstrap for a local envoy binary', () => {
  const local = applyOverlay(bootstrap, overlay, ROOT);
  assert.deepEqual(local.static_resources.listeners[0].address.socket_address, { address: '127.0.0.1', port_value: 10000 });
  assert.deepEqual(local.admin.address.socket_address, { address: '127.0.0.1', port_value: 9901 });
  const dev = local.static_resources.clusters.find((c: Any) => c.name === 'dev');
  assert.deepEqual(dev.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: '127.0.0.1', port_value: 10102 });
  assert.equal(envoyWasmFilter(local).typed_config.config.vm_config.code.local.filename, `${ROOT}/build/routekey.wasm`);
  // The original is untouched and the rest survives.
  assert.equal(envoyWasmFilter(bootstrap).typed_config.config.vm_config.code.local.filename, '/etc/routekey/routekey.wasm');
  assert.deepEqual(local.stats_config, bootstrap.stats_config);
  assert.throws(() => applyOverlay(bootstrap, { clusters: { nope: { address: '127.0.0.1', port: 1 } } }, ROOT), /clusters\.nope/);
});

/** A compose volume, short ("src:dst:ro") or long syntax, as {type, source, target, readOnly, createHostPath}. */
function volume(v: Any): { type: string; source: string; target: string; readOnly: boolean; createHostPath: boolean } {
  if (typeof v === 'string') {
    const [source, target, mode = ''] = v.split(':');
    // Short syntax: a bind mount whose missing source Docker creates (as a directory).
    return { type: 'bind', source, target, readOnly: mode.split(',').includes('ro'), createHostPath: true };
  }
  return {
    type: v.type, source: v.source, target: v.target, readOnly: v.read_only === true,
    createHostPath: v.type === 'bind' && v.bind?.create_host_path !== false,
  };
}

test('docker-compose.yaml: pinned images, read-only mounts, upstreams match the clusters', () => {
  const envoy = compose.services.envoy;
  const image = /^\$\{ENVOY_IMAGE:-(.+)\}$/.exec(envoy.image)?.[1];
  assert.ok(image, 'image is ${ENVOY_IMAGE:-<pinned>}');
  assert.match(image!, /^(envoyproxy\/envoy|istio\/proxyv2):v?\d+\.\d+\.\d+$/, 'Envoy image pinned to a release');
  const volumes = (envoy.volumes as Any[]).map(volume);
  const mountAt = (target: string) => volumes.find((v) => v.target === target);
  assert.deepEqual(mountAt('/etc/envoy/envoy.yaml'), {
    type: 'bind', source: './envoy.yaml', target: '/etc/envoy/envoy.yaml', readOnly: true, createHostPath: true,
  });
  for (const v of volumes) assert.ok(v.readOnly, `${v.source} → ${v.target} read-only`);

  // The module: the whole build/ directory, read-only, where envoy.yaml loads the file from — not
  // the single file, which Docker would create as a DIRECTORY when missing (breaking npm run build).
  const filename: string = wasm.config.vm_config.code.local.filename;
  assert.equal(posix.basename(filename), 'routekey.wasm', 'the file npm run build writes');
  const build = mountAt(posix.dirname(filename));
  assert.ok(build, `a volume mounted at ${posix.dirname(filename)}, where envoy.yaml loads the module`);
  assert.deepEqual(build, { type: 'bind', source: '../build', target: '/etc/routekey', readOnly: true, createHostPath: false });
  assert.ok(!volumes.some((v) => v.source.startsWith('../build/')), 'no single file of build/ is mounted');
  // Without Docker, local.yaml reads the same file from the checkout (compose paths are relative to envoy/).
  assert.equal(overlay.wasm.filename, posix.join(posix.normalize(`envoy/${build!.source}`), posix.basename(filename)));
  // Admin published on the host's loopback only (anyone who reaches it can POST /quitquitquit).
  assert.deepEqual([...envoy.ports].sort(), ['10000:10000', '127.0.0.1:9901:9901']);
  assert.ok(envoy.command.includes('/etc/envoy/envoy.yaml'));

  for (const c of routed) {
    const ep = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    const svc = compose.services[ep.address];
    assert.ok(svc, `compose service ${ep.address} for cluster ${c.name}`);
    assert.match(svc.image, /^node:20\.\d+\.\d+-alpine\d+\.\d+$/, 'node image pinned');
    assert.deepEqual(svc.command, ['node', '/app/upstream.mjs', '--name', c.name, '--port', String(ep.port_value), '--host', '0.0.0.0']);
    assert.deepEqual(svc.volumes, ['../host/app/demo/upstream.mjs:/app/upstream.mjs:ro']);
    assert.ok(envoy.depends_on.includes(ep.address));
  }
  assert.deepEqual(Object.keys(compose.services).sort(), ['envoy', 'rules-server', 'upstream-default', 'upstream-dev']);
});

test('docker-compose.yaml: the rules server serves envoy/rules.json on the rules cluster\'s address, from the bundle', () => {
  const c = clusters.find((x) => x.name === RULES_CLUSTER);
  const ep = c.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
  const svc = compose.services[ep.address];
  assert.ok(svc, `compose service ${ep.address}`);
  assert.match(svc.image, /^node:20\.\d+\.\d+-alpine\d+\.\d+$/, 'node image pinned');
  const [node, script, command, file, ...flags] = svc.command as string[];
  assert.deepEqual([node, command], ['node', 'rules-server']);
  const volumes = (svc.volumes as Any[]).map(volume);
  for (const v of volumes) assert.ok(v.readOnly && !v.createHostPath, `${v.source} → ${v.target} read-only, never created`);
  // Each path in the command comes from a mounted folder: the bundle and the module from build/,
  // the rules from envoy/ (a folder, so an editor's rename-over save is seen).
  const source = (path: string) => {
    const v = volumes.find((x) => path.startsWith(`${x.target}/`));
    assert.ok(v, `${path} is under a mounted folder`);
    return posix.normalize(posix.join('envoy', v!.source, path.slice(v!.target.length + 1)));
  };
  assert.equal(source(script!), 'build/routekey-cli.mjs', 'what make bundle writes');
  assert.match(readText('Makefile'), /--outfile=build\/routekey-cli\.mjs/);
  assert.equal(source(file!), 'envoy/rules.json');
  assert.equal(`/${posix.basename(file!)}`, config.rulesService.path, 'served at the path the filter asks for');
  const flag = (name: string) => flags[flags.indexOf(name) + 1];
  assert.equal(source(flag('--wasm')!), 'build/routekey.wasm', 'checked with the module Envoy runs');
  assert.equal(flag('--port'), String(ep.port_value));
  assert.equal(flag('--host'), '0.0.0.0', 'in a container it must listen on all interfaces');
  assert.ok(compose.services.envoy.depends_on.includes(ep.address));
});

test('verify.sh delegates to verify.ts, which names its checks', () => {
  assert.match(readText('envoy/verify.sh'), /exec node --import tsx host\/app\/verify\.ts/);
  const ts = readText('host/app/verify.ts');
  for (const name of ['wait_for ready', 'responds_with_upstream dev', 'responds_with_header dispatched true', 'routekey_routed{route="dev"}']) {
    assert.ok(ts.includes(name), `check "${name}"`);
  }
  assert.ok(ts.includes('SKIPPED real Envoy: no Docker engine and no envoy binary'));
});
