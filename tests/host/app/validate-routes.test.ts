// `routekey validate` and the Envoy route configuration: a destination (what the built filter sets
// :authority to) that no virtual host of the listener matches is warned about, with the route,
// the destination and the domains there are — in a bootstrap's own wasm filter, and for plain
// configurations checked with --bootstrap FILE. Exit code unchanged; --strict makes it a problem.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ROOT, filterMissing, readText } from '../../deploy/deploy-helpers.ts';
import { destinationsWithoutVirtualHost } from '../../../host/app/destinations.ts';
import { readBootstrap } from '../../../host/runner/bootstrap.ts';

function runValidate(...args: string[]) {
  const script = `import { main } from './host/app/cli.ts'; process.exitCode = await main(${JSON.stringify(['validate', ...args])});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Obj = Record<string, any>;
/** envoy/envoy.yaml without its catch-all virtual host, its filter configuration replaced. */
function bootstrapWithout(config: object | undefined): string {
  const doc = parse(readText('envoy/envoy.yaml')) as Obj;
  const hcm = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  hcm.route_config.virtual_hosts = hcm.route_config.virtual_hosts.filter((vh: Obj) => !vh.domains.includes('*'));
  if (config) hcm.http_filters[0].typed_config.config.configuration.value = JSON.stringify(config);
  return stringify(doc);
}

const CONFIG = {
  key: 'environment',
  routes: [
    { name: 'dev', keys: ['dev'], destination: 'http://dev.demo' },
    { name: 'dev-port', keys: ['dev8080'], destination: 'dev.demo:8080' },
    { name: 'typo', keys: ['typo'], destination: 'http://dve.demo' },
  ],
  default: { destination: 'http://default.demo' },
};
const TYPO = /warning: route 'typo' sends to 'dve\.demo', which no virtual host of listener 'main' matches: Envoy would answer 404 \(NR\) after the decision header says the route was taken; its domains: 'default\.demo', 'default\.demo:\*', 'dev\.demo', 'dev\.demo:\*'/;

test('destinationsWithoutVirtualHost: exact, port-wildcard and catch-all domains as Envoy matches them', () => {
  const bootstrap = readBootstrap(parse(bootstrapWithout(undefined)), { overlayDir: ROOT });
  const listener = bootstrap.listeners[0]!;
  const dests = [
    { route: 'a', authority: 'dev.demo' }, { route: 'b', authority: 'DEV.demo:9000' }, { route: 'c', authority: 'dve.demo' },
    { route: 'd' }, { route: 'e', authority: 'default.demo.evil' },
  ];
  assert.deepEqual(destinationsWithoutVirtualHost(bootstrap, [listener], dests).map((u) => u.route), ['c', 'e']);
  const withCatchAll = readBootstrap(parse(readText('envoy/envoy.yaml')), { overlayDir: ROOT });
  assert.deepEqual(destinationsWithoutVirtualHost(withCatchAll, [withCatchAll.listeners[0]!], dests), [], "the '*' virtual host takes everything");
});

test('validate warns about a destination no virtual host matches; --strict refuses it; --bootstrap checks plain files', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const dir = mkdtempSync(join(tmpdir(), 'routekey-validate-routes-'));
  try {
    const boot = join(dir, 'envoy.yaml');
    writeFileSync(boot, bootstrapWithout(CONFIG));
    const plain = join(dir, 'rules.json');
    writeFileSync(plain, JSON.stringify(CONFIG));

    const warned = runValidate(boot);
    assert.equal(warned.code, 0, warned.stderr);
    assert.equal(warned.stdout, `${boot}: ok (1 warning)\n`);
    const lines = warned.stderr.trim().split('\n');
    assert.equal(lines.length, 1, warned.stderr);
    assert.ok(lines[0]!.startsWith(`${boot}: static_resources.listeners[0]`), lines[0]);
    assert.match(lines[0]!, TYPO);

    // Plain configuration against a bootstrap: the same warning, strict makes it fail; the
    // shipped bootstrap (catch-all virtual host) has none.
    const strict = runValidate('--strict', '--bootstrap', boot, plain);
    assert.equal(strict.code, 1);
    assert.equal(strict.stdout, '', 'a warning under --strict is a problem: no ok line');
    assert.match(strict.stderr, new RegExp(`^${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ${TYPO.source}`, 'm'));
    const shipped = runValidate(`--bootstrap=envoy/envoy.yaml`, plain, 'envoy/envoy.yaml');
    assert.equal(shipped.code, 0, shipped.stderr);
    assert.equal(shipped.stdout, `${plain}: ok\nenvoy/envoy.yaml: ok\n`);
    assert.equal(shipped.stderr, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
