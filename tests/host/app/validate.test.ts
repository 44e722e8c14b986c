// `routekey validate`: finding configurations in files (pure), and the command end to end with the
// built filter: exit 0 and "FILE: ok" on good files, exit 1 and the field path on bad ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigurations, scanFile, UnreadableFileError } from '../../../host/app/validate.ts';
import { ROOT, filterMissing, istioYamlFiles, readText } from '../../deploy/deploy-helpers.ts';

const VALID = { key: 'x-env', default: { destination: 'baseline.svc:8080' } };

test('findConfigurations: a JSON configuration goes to the parser byte for byte', () => {
  const text = '{"key":"x","rewrites":{"a":{"patch":[{"key":"v","val":1.50}]}}}';
  assert.deepEqual(findConfigurations('c.json', text), [{ where: '', configuration: text, problems: [] }]);
  assert.equal(findConfigurations('c.json', '{"key": ')[0].configuration, '{"key": ', 'invalid JSON is left to the parser');
});

test('findConfigurations: YAML configurations are converted to JSON', () => {
  const found = findConfigurations('c.yaml', 'key: x-env\ndefault:\n  destination: baseline.svc:8080\n');
  assert.deepEqual(found.map((f) => JSON.parse(String(f.configuration))), [VALID]);
  assert.throws(() => findConfigurations('c.yaml', 'key: a\nkey: b\n'), UnreadableFileError);
});

test('findConfigurations: Envoy bootstrap — StringValue, Struct (refused: protobuf bytes), root_id', () => {
  const bootstrap = findConfigurations('envoy/envoy.yaml', readText('envoy/envoy.yaml'));
  assert.equal(bootstrap.length, 1);
  assert.match(bootstrap[0].where, /http_filters\[0\]\.typed_config\.config\.configuration$/);
  assert.equal(JSON.parse(String(bootstrap[0].configuration)).key, 'environment');
  assert.deepEqual(bootstrap[0].problems, []);

  const struct = readText('envoy/envoy.yaml')
    .replace('type.googleapis.com/google.protobuf.StringValue', 'type.googleapis.com/google.protobuf.Struct')
    .replace(/value: \|-\n\s*(\{.*\})\n/, (_m, json) => `value: ${json}\n`)
    .replace('root_id: routekey', 'root_id: other');
  const [s] = findConfigurations('b.yaml', struct);
  // Envoy passes a Struct as its protobuf encoding: bytes, not the JSON text.
  assert.ok(s.configuration instanceof Uint8Array);
  assert.ok(Buffer.from(s.configuration).includes(Buffer.from('http://default.demo')));
  assert.equal(s.problems.length, 2);
  assert.match(s.problems[0], /config\.root_id: expected "routekey"/);
  assert.match(s.problems[1], /Struct reaches the filter as protobuf bytes/);
});

test('findConfigurations: Kubernetes YAML — WasmPlugins only, other kinds skipped', () => {
  const found = findConfigurations('istio/wasmplugin-gateway.yaml', readText('istio/wasmplugin-gateway.yaml'));
  assert.equal(found.length, 1);
  assert.match(found[0].where, /^document 1: WasmPlugin routekey-gateway spec\.pluginConfig$/);
  assert.equal(JSON.parse(String(found[0].configuration)).key, 'environment');
  assert.deepEqual(findConfigurations('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'), []);
});

test('scanFile: what holds no configuration is skipped, and says what it is', () => {
  const skipped = (name: string, text: string) => {
    const r = scanFile(name, text);
    assert.deepEqual(r.configurations, [], `${name}: no configuration`);
    return r.skipped;
  };
  // The shipped metrics settings: a ConfigMap, an IstioOperator, a bare patch document.
  assert.deepEqual(skipped('istio/bootstrap-stats-tags.yaml', readText('istio/bootstrap-stats-tags.yaml')), ['ConfigMap']);
  assert.deepEqual(skipped('istio/proxy-stats.yaml', readText('istio/proxy-stats.yaml')), ['IstioOperator']);
  assert.deepEqual(skipped('istio/pod-annotation-patch.yaml', readText('istio/pod-annotation-patch.yaml')), [
    'a document without key, routes, rewrites or default (top level: spec)',
  ]);
  // Other shapes.
  assert.deepEqual(skipped('a.yaml', 'apiVersion: v1\nkind: Service\n---\napiVersion: apps/v1\nkind: Deployment\n'), ['Service', 'Deployment']);
  assert.deepEqual(skipped('a.yaml', 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap}\n'), ['ConfigMap']);
  assert.deepEqual(skipped('b.yaml', 'admin:\n  address: {socket_address: {address: 0.0.0.0, port_value: 9901}}\n'), [
    'an Envoy bootstrap without envoy.filters.http.wasm',
  ]);
  assert.deepEqual(skipped('c.json', '{}'), ['an empty object']);
  assert.deepEqual(skipped('c.json', '[1]'), ['a list, not an object']);
  assert.deepEqual(skipped('c.yaml', 'just text\n'), ['a string, not an object']);
  assert.deepEqual(skipped('c.yaml', ''), ['empty file']);
  assert.deepEqual(skipped('c.yaml', '# only a comment\n---\n'), ['empty file']);
  assert.deepEqual(skipped('c.yaml', 'colour: blue\nsize: 3\n'), ['a document without key, routes, rewrites or default (top level: colour, size)']);

  // A bare document is a configuration as soon as it has one of its fields, valid or not: the
  // filter then says what is wrong with it.
  for (const text of ['key: x\n', 'routes: []\n', 'rewrites: {}\n', 'default: {destination: a}\n', '{"key": "x", "colour": 1}']) {
    assert.equal(scanFile('c.yaml', text).configurations.length, 1, text);
  }
  // A List item that is itself a WasmPlugin is found.
  const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: extensions.istio.io/v1alpha1\n    kind: WasmPlugin\n    metadata: {name: p}\n    spec: {pluginName: routekey, pluginConfig: {key: x}}\n`;
  assert.deepEqual(scanFile('l.yaml', list).configurations.map((c) => [c.where, c.configuration]), [
    ['items[0]: WasmPlugin p spec.pluginConfig', '{"key":"x"}'],
  ]);
});

/** Writes files into `dir`, returning each one's path. */
function writerIn(dir: string): (name: string, text: string) => string {
  return (name, text) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
}

/** Runs `validate` as the CLI does, in a child process. */
function runValidate(...args: string[]) {
  const script = `import { runValidate } from './host/app/validate-command.ts'; process.exitCode = await runValidate(${JSON.stringify(args)});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate command: exit 0 and FILE: ok on every shipped file, 1 with the field path on bad ones', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  // The shipped WasmPlugins are templates: checked as such, everything but the image reference.
  const good = runValidate('--allow-placeholders', 'envoy/envoy.yaml', 'istio/wasmplugin.yaml', 'istio/wasmplugin-gateway.yaml');
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, 'envoy/envoy.yaml: ok\nistio/wasmplugin.yaml: ok\nistio/wasmplugin-gateway.yaml: ok\n');

  const dir = mkdtempSync(join(tmpdir(), 'routekey-validate-'));
  try {
    const write = writerIn(dir);
    const ok = write('ok.json', JSON.stringify(VALID));
    const badDest = write('bad-dest.json', JSON.stringify({ key: 'x', routes: [{ name: 'a', keys: ['a'], destination: 'ftp://x' }] }));
    const badJson = write('bad.json', '{"key": "x",\n "routes": [}');
    const badYaml = write('bad.yaml', 'key: x\nroutes:\n  - name: default\n    keys: [a]\n    destination: a.svc\n');
    const badPlugin = write('plugin.yaml', readText('istio/wasmplugin.yaml').replace('keys: ["pr-42"]', 'keys: ["v2"]'));

    assert.equal(runValidate(ok).stdout, `${ok}: ok\n`);

    // As they ship, the WasmPlugins' image reference is a placeholder: refused, naming it; filled
    // in, the same file passes without the flag.
    const template = runValidate('istio/wasmplugin.yaml');
    assert.equal(template.code, 1);
    assert.match(template.stderr, /^istio\/wasmplugin\.yaml: WasmPlugin routekey spec\.url: "oci:\/\/REGISTRY\/routekey:VERSION" still holds the placeholder REGISTRY, VERSION/);
    const filled = write('filled.yaml', readText('istio/wasmplugin.yaml').replace('oci://REGISTRY/routekey:VERSION', 'oci://ghcr.io/acme/routekey:0.1.0'));
    const f = runValidate(filled);
    assert.equal(f.code, 0, f.stderr);

    const r = runValidate('--allow-placeholders', ok, badDest, badJson, badYaml, badPlugin);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${ok}: ok\n`, 'only the good file is ok');
    const lines = r.stderr.trim().split('\n');
    const lineFor = (file: string) => lines.filter((l) => l.startsWith(`${file}: `)).join('\n');
    assert.match(lineFor(badDest), /routes\[0\]\.destination: expected host, host:port or http\(s\):\/\/host\[:port\]\[\/path\], got "ftp:\/\/x"/);
    assert.match(lineFor(badJson), /configuration: invalid JSON at line 2/);
    assert.match(lineFor(badYaml), /routes\[0\]\.name: /);
    assert.match(lineFor(badPlugin), /WasmPlugin routekey spec\.pluginConfig: .*routes\[1\]\.keys\[0\]: key "v2" is already used by route "reviews-v2"/);

    const none = runValidate(join(dir, 'missing.json'));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /missing\.json: ENOENT/);
    assert.equal(runValidate().code, 2, 'usage');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('validate command: the README upgrade command checks envoy/ and istio/ and exits 0', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  // Exactly as README.md writes it (npx routekey = bin/routekey.js; bash expands istio/*.yaml).
  const m = /`npx routekey (validate --wasm build\/routekey\.wasm --allow-placeholders envoy\/envoy\.yaml istio\/\*\.yaml)`/.exec(readText('README.md'));
  assert.ok(m, 'README.md gives: npx routekey validate --wasm build/routekey.wasm --allow-placeholders envoy/envoy.yaml istio/*.yaml');
  const r = spawnSync('bash', ['-c', `node bin/routekey.js ${m![1]}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, '');
  const expected = ['envoy/envoy.yaml: ok'];
  for (const file of istioYamlFiles()) {
    const what: Record<string, string> = {
      'istio/bootstrap-stats-tags.yaml': 'ConfigMap',
      'istio/proxy-stats.yaml': 'IstioOperator',
      'istio/pod-annotation-patch.yaml': 'a document without key, routes, rewrites or default (top level: spec)',
    };
    expected.push(what[file] ? `${file}: skipped (no routekey configuration: ${what[file]})` : `${file}: ok`);
  }
  assert.deepEqual(r.stdout.trim().split('\n'), expected);
});

test('validate command: skipped files do not fail, but nothing to check at all does', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  // One file with nothing to check: an error (the user named it to have it checked).
  const one = runValidate('istio/proxy-stats.yaml');
  assert.equal(one.code, 1);
  assert.equal(one.stdout, 'istio/proxy-stats.yaml: skipped (no routekey configuration: IstioOperator)\n');
  assert.match(one.stderr, /^routekey validate: nothing to check: no routekey configuration in istio\/proxy-stats\.yaml/);
  // Several, none with a configuration: still an error.
  const none = runValidate('istio/proxy-stats.yaml', 'istio/bootstrap-stats-tags.yaml');
  assert.equal(none.code, 1);
  assert.match(none.stderr, /nothing to check: no routekey configuration in any of the files/);
  // Skipped files beside a checked one: exit 0.
  const mixed = runValidate('--allow-placeholders', 'istio/pod-annotation-patch.yaml', 'istio/wasmplugin.yaml');
  assert.equal(mixed.code, 0, mixed.stderr);
  assert.equal(mixed.stdout, 'istio/pod-annotation-patch.yaml: skipped (no routekey configuration: a document without key, routes, rewrites or default (top level: spec))\nistio/wasmplugin.yaml: ok\n');
  // A skipped file does not hide a bad one.
  const dir = mkdtempSync(join(tmpdir(), 'routekey-validate-'));
  try {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'key: x\n');
    const r = runValidate('istio/proxy-stats.yaml', bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml: .*nothing to route/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The usage text says all this.
  const help = runValidate('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /skipped \(no routekey configuration: \.\.\.\)/);
  assert.match(help.stdout, /if no FILE holds a configuration at all .* that fails/);
});

test('scanFile: an object with "version" and no "key" is a rules document; with "key" it is a configuration', () => {
  const doc = '{"version":"v1","routes":[]}';
  assert.deepEqual(scanFile('rules.json', doc).configurations, [{ where: '', configuration: doc, problems: [], kind: 'rules' }]);
  const yaml = scanFile('rules.yaml', 'version: v2\nroutes:\n  - {name: a, keys: [a], destination: a.svc}\n').configurations;
  assert.equal(yaml[0]!.kind, 'rules');
  assert.deepEqual(JSON.parse(String(yaml[0]!.configuration)).version, 'v2');
  assert.equal(scanFile('c.json', '{"key":"x","version":"v1","default":{"destination":"a"}}').configurations[0]!.kind, undefined);
});

test('validate command: rules documents are checked by the built filter as a rules server would serve them', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const dir = mkdtempSync(join(tmpdir(), 'routekey-validate-rules-'));
  try {
    const write = writerIn(dir);
    const good = write('rules.json', JSON.stringify({ version: 'v7', routes: [{ name: 'pr-42', keys: ['pr-42'], destination: 'pr-42.svc:8080' }] }));
    const goodYaml = write('rules.yaml', 'version: v8\nroutes: []\ndefault: {destination: baseline.svc}\n');
    const dup = write('dup.json', JSON.stringify({ version: 'v9', routes: [
      { name: 'a', keys: ['k'], destination: 'a.svc' }, { name: 'b', keys: ['k'], destination: 'b.svc' }] }));
    const noRoutes = write('no-routes.json', '{"version": "v1"}');
    const badJson = write('bad-rules.json', '{"version": "v1", "routes": [');
    const ok = runValidate(good, goodYaml);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${good}: ok\n${goodYaml}: ok\n`);
    const r = runValidate(dup, noRoutes);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `${dup}: routes[1].keys[0]: key "k" is already used by route "a"\n` +
      `${noRoutes}: document: missing required field "routes"\n`);
    // Text that is not JSON is not sorted: it goes to the configuration parser, which says so.
    assert.match(runValidate(badJson).stderr, /invalid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
