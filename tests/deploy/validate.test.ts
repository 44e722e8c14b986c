// `routekey validate`: finding configurations in files (pure), and the command end to end with the
// built filter: exit 0 and "FILE: ok" on good files, exit 1 and the field path on bad ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findConfigurations, UnreadableFileError } from '../../host/validate.ts';
import { ROOT, filterMissing, readText } from './deploy-helpers.ts';

const VALID = { key: 'x-env', default: { destination: 'baseline.svc:8080' } };

test('findConfigurations: a JSON configuration goes to the parser byte for byte', () => {
  const text = '{"key":"x","rewrites":{"a":{"patch":[{"key":"v","val":1.50}]}}}';
  assert.deepEqual(findConfigurations('c.json', text), [{ where: '', configuration: text, problems: [] }]);
  assert.equal(findConfigurations('c.json', '{"key": ')[0].configuration, '{"key": ', 'invalid JSON is left to the parser');
});

test('findConfigurations: YAML configurations are converted to JSON', () => {
  const found = findConfigurations('c.yaml', 'key: x-env\ndefault:\n  destination: baseline.svc:8080\n');
  assert.deepEqual(found.map((f) => JSON.parse(f.configuration)), [VALID]);
  assert.throws(() => findConfigurations('c.yaml', 'key: a\nkey: b\n'), UnreadableFileError);
});

test('findConfigurations: Envoy bootstrap — StringValue, Struct, root_id', () => {
  const bootstrap = findConfigurations('envoy/envoy.yaml', readText('envoy/envoy.yaml'));
  assert.equal(bootstrap.length, 1);
  assert.match(bootstrap[0].where, /http_filters\[0\]\.typed_config\.config\.configuration$/);
  assert.equal(JSON.parse(bootstrap[0].configuration).key, 'environment');
  assert.deepEqual(bootstrap[0].problems, []);

  const struct = readText('envoy/envoy.yaml')
    .replace('type.googleapis.com/google.protobuf.StringValue', 'type.googleapis.com/google.protobuf.Struct')
    .replace(/value: \|-\n\s*(\{.*\})\n/, (_m, json) => `value: ${json}\n`)
    .replace('root_id: routekey', 'root_id: other');
  const [s] = findConfigurations('b.yaml', struct);
  assert.equal(JSON.parse(s.configuration).destination, 'http://default.demo');
  assert.equal(s.problems.length, 1);
  assert.match(s.problems[0], /config\.root_id: expected "routekey"/);
});

test('findConfigurations: Kubernetes YAML — WasmPlugins only, other kinds skipped', () => {
  const found = findConfigurations('istio/wasmplugin-gateway.yaml', readText('istio/wasmplugin-gateway.yaml'));
  assert.equal(found.length, 1);
  assert.match(found[0].where, /^document 1: WasmPlugin routekey-gateway spec\.pluginConfig$/);
  assert.equal(JSON.parse(found[0].configuration).key, 'environment');
  assert.deepEqual(findConfigurations('x.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n'), []);
});

/** Runs `validate` as the CLI does, in a child process. */
function runValidate(...args: string[]) {
  const script = `import { runValidate } from './host/validate.ts'; process.exitCode = await runValidate(${JSON.stringify(args)});`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate command: exit 0 and FILE: ok on every shipped file, 1 with the field path on bad ones', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const good = runValidate('envoy/envoy.yaml', 'istio/wasmplugin.yaml', 'istio/wasmplugin-gateway.yaml');
  assert.equal(good.code, 0, good.stderr);
  assert.equal(good.stdout, 'envoy/envoy.yaml: ok\nistio/wasmplugin.yaml: ok\nistio/wasmplugin-gateway.yaml: ok\n');

  const dir = mkdtempSync(join(tmpdir(), 'routekey-validate-'));
  try {
    const write = (name: string, text: string) => {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    };
    const ok = write('ok.json', JSON.stringify(VALID));
    const badDest = write('bad-dest.json', JSON.stringify({ key: 'x', routes: [{ name: 'a', keys: ['a'], destination: 'ftp://x' }] }));
    const badJson = write('bad.json', '{"key": "x",\n "routes": [}');
    const badYaml = write('bad.yaml', 'key: x\nroutes:\n  - name: default\n    keys: [a]\n    destination: a.svc\n');
    const badPlugin = write('plugin.yaml', readText('istio/wasmplugin.yaml').replace('keys: ["pr-42"]', 'keys: ["v2"]'));

    assert.equal(runValidate(ok).stdout, `${ok}: ok\n`);

    const r = runValidate(ok, badDest, badJson, badYaml, badPlugin);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `${ok}: ok\n`, 'only the good file is ok');
    const lines = r.stderr.trim().split('\n');
    const lineFor = (file: string) => lines.find((l) => l.startsWith(`${file}: `)) ?? '';
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
