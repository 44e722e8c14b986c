// schema/routekey.schema.json: generated from schema/generate.ts, accepts every example we ship,
// and agrees with the filter's parser on tests/config-cases.json except where JSON Schema cannot
// express the rule (listed below with the reason).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { render, renderRules, RULES_SCHEMA_PATH, SCHEMA_PATH } from '../../schema/generate.ts';
import { scanFile, checkConfiguration, checkRulesDocument } from '../../host/app/validate.ts';
import { at, filterMissing, istioYamlFiles, readmeJsonBlocks, readText, WASM } from './deploy-helpers.ts';

const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

/** The schema's verdict on configuration bytes: text that is not JSON is refused. */
function schemaAccepts(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  return validate(value) as boolean;
}

/** Cases of tests/config-cases.json whose rule JSON Schema cannot state, and why. */
const INEXPRESSIBLE: Record<string, string> = {
  'duplicate root field': 'duplicate JSON object keys: a JSON Schema sees the parsed object, where the last one won',
  'duplicate route field': 'duplicate JSON object keys (see above)',
  'duplicate header in set': 'duplicate JSON object keys (see above)',
  'duplicate route name': 'uniqueness of a property across array items (uniqueItems compares whole items)',
  'route without name: first key not a name': 'the first key as the default name (a key need not be a name)',
  'route without name: default name already used': 'uniqueness of names across routes (see above)',
  'key used by two routes': 'uniqueness of keys across routes',
  'header ops: names differing in case in one set': 'case-insensitive uniqueness of property names',
  'header ops: names differing in case in one add': 'case-insensitive uniqueness of property names',
  'header ops: Host and host in one set': 'case-insensitive uniqueness of property names',
  'header ops: a name set and added': 'uniqueness of a name across set, add and remove',
  'header ops: a name set and removed': 'uniqueness of a name across set, add and remove',
  'header ops: a name removed twice': 'case-insensitive uniqueness of array items',
  'hosts: listed twice in any case': 'case-insensitive uniqueness of array items',
  'hosts: a key taken for that host': 'uniqueness of (key, host) pairs across routes',
  'prefixes: taken twice': 'uniqueness of prefixes across routes',
  'prefixes: first prefix not a name': 'the first prefix as the default name (see the first key above)',
  'prefixes: more than 16 distinct lengths': 'a count of distinct string lengths across routes',
  'versionHeader same as decisionHeader': 'case-insensitive inequality of two properties',
};

test('schema: routekey.schema.json is what schema/generate.ts writes', () => {
  assert.equal(readFileSync(SCHEMA_PATH, 'utf8'), render(), 'run: node --import tsx schema/generate.ts');
});

const rulesSchema = JSON.parse(readFileSync(RULES_SCHEMA_PATH, 'utf8'));
const validateRules = new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(rulesSchema);

test('schema: rules.schema.json (the rules document) is what schema/generate.ts writes', () => {
  assert.equal(readFileSync(RULES_SCHEMA_PATH, 'utf8'), renderRules(), 'run: node --import tsx schema/generate.ts');
  assert.match(rulesSchema.description, /duplicate JSON object keys/);
});

test('schema: rules.schema.json agrees with the built filter on rules documents', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const module = new Uint8Array(readFileSync(WASM));
  const route = { name: 'dev', keys: ['dev'], destination: 'dev.svc:8080' };
  const documents: unknown[] = [
    { version: 'v1', routes: [route] },
    { version: 'v1', routes: [] },
    { version: '2026-12-01 #7', routes: [route], default: { destination: 'baseline.svc' } },
    { version: 'x'.repeat(128), routes: [] },
    { version: 'v1', routes: [], default: { requestHeaders: { set: { 'x-a': '1' } } } },
    { routes: [route] },
    { version: 'v1' },
    { version: '', routes: [] },
    { version: 'x'.repeat(129), routes: [] },
    { version: 'v\u0001', routes: [] },
    { version: 'é', routes: [] },
    { version: 7, routes: [] },
    { version: 'v1', routes: [], key: 'x-env' },
    { version: 'v1', routes: [], rulesService: {} },
    { version: 'v1', routes: [{ ...route, destination: 'a:0' }] },
    { version: 'v1', routes: [{ name: 'dev', keys: ['dev'] }] },
    { version: 'v1', routes: [], default: {} },
    { version: 'v1', routes: {} },
  ];
  const disagreements: string[] = [];
  for (const d of documents) {
    const text = JSON.stringify(d);
    const problems = await checkRulesDocument(text, module);
    const parser = problems.length === 0;
    if (parser !== (validateRules(d) as boolean)) {
      disagreements.push(`${text}: parser ${parser ? 'accepts' : `refuses (${problems[0]})`}, schema ${parser ? 'refuses' : 'accepts'}`);
    }
  }
  assert.deepEqual(disagreements, []);
  assert.ok(documents.filter((d) => validateRules(d)).length >= 5, 'both outcomes are exercised');
});

test('schema: says in its description what it cannot express', () => {
  assert.match(schema.description, /unique/);
  assert.match(schema.description, /duplicate JSON object keys/);
  assert.equal(schema.oneOf.length, 2, 'both forms');
});

test('schema: accepts every example configuration we ship (envoy/, istio/, README.md json blocks)', () => {
  const examples: Array<{ where: string; text: string }> = [];
  for (const file of ['envoy/envoy.yaml', ...istioYamlFiles()]) {
    // Files with no configuration (metrics settings) are skipped, as `routekey validate` skips them.
    for (const f of scanFile(file, readText(file)).configurations) examples.push({ where: `${file} ${f.where}`, text: String(f.configuration) });
  }
  const readme = readmeJsonBlocks();
  assert.ok(readme.length >= 2, 'README.md shows both forms in ```json blocks');
  examples.push(...readme);
  assert.ok(examples.length >= 5);
  for (const { where, text } of examples) {
    assert.ok(schemaAccepts(text), `${where}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
});

test('schema: agrees with the parser on tests/config-cases.json (except the listed rules)', (t) => {
  if (!existsSync(at('tests/config-cases.json'))) return t.skip('tests/config-cases.json is not there yet');
  const cases: Array<{ name: string; config: string; ok: boolean; error?: string }> = JSON.parse(readText('tests/config-cases.json'));
  const names = new Set(cases.map((c) => c.name));
  for (const name of Object.keys(INEXPRESSIBLE)) assert.ok(names.has(name), `listed case "${name}" exists in the table`);
  const disagreements: string[] = [];
  for (const c of cases) {
    if (c.name in INEXPRESSIBLE) {
      assert.equal(c.ok, false, `${c.name}: an inexpressible rule is one the parser refuses`);
      continue;
    }
    const verdict = schemaAccepts(c.config);
    if (verdict !== c.ok) {
      disagreements.push(`${c.name}: parser ${c.ok ? 'accepts' : `refuses (${c.error})`}, schema ${verdict ? 'accepts' : 'refuses'}`);
    }
  }
  assert.deepEqual(disagreements, [], 'add a case here only if JSON Schema really cannot state its rule');
});

test('schema: agrees with the built filter on destinations and header names', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const module = new Uint8Array(readFileSync(WASM));
  const destinations = [
    'dev.svc', 'dev.svc:8080', 'http://dev.svc', 'https://dev.svc:8443/api/', 'HTTP://Dev-1.svc', '10.0.0.1:80',
    '[::1]', '[::1]:9000', 'http://[2001:db8::1]:8080/x', '[::ffff:10.0.0.1]', '[1:2:3:4:5:6:7:8]', '[1:2:3:4:5:6:7::]',
    'http://a/p%20q', "http://a/!$&'()*+,;=:@~", 'x'.repeat(63) + '.svc',
    '', 'ftp://x', 'http://', ':80', 'a:0', 'a:65536', 'a:080', 'a:8x', 'a:', '1.2.3', '999.1.1.1', '01.2.3.4',
    'a..b', '.a', 'a.', 'a/b', 'http://a?x', 'http://a#x', 'http://u@a', 'http://a/ b', 'http://a/%2', 'a b',
    '[1::2::3]', '[1:2:3:4:5:6:7:8:9]', '[::g]', '::1', 'x'.repeat(64) + '.svc', 'http://a/é',
    '-', '_', 'a_b.svc', '-a.svc', 'a-.svc', 'http://a//evil.com', 'http://a/../x', 'http://a/x/.', 'http://a/%2E%2e/x',
    'http://a/x%2fy', 'http://a/x%5Cy', 'http://a/x\\y', 'http://a/x//', 'http://a/.x/..y',
  ];
  const headerNames = ['x-env', 'X-Env', 'Host', 'host', ':authority', ':Authority', ':path', ':method', ':scheme', 'a b', 'a:b', '', 'é'];
  const configs: string[] = [
    ...destinations.map((d) => JSON.stringify({ key: 'x', default: { destination: d } })),
    ...headerNames.map((h) => JSON.stringify({ key: h, default: { destination: 'a' } })),
    ...headerNames.flatMap((h) => ['set', 'add'].map((op) => JSON.stringify({ key: 'x', default: { requestHeaders: { [op]: { [h]: 'v' } } } }))),
    ...headerNames.map((h) => JSON.stringify({ key: 'x', default: { requestHeaders: { remove: [h] } } })),
    ...headerNames.map((h) => JSON.stringify({ key: 'x', default: { destination: 'a' }, decisionHeader: h })),
    ...headerNames.map((h) => JSON.stringify({ key: 'x', rewrites: { a: { patch: [{ key: h, val: 1 }] } } })),
  ];
  const disagreements: string[] = [];
  for (const config of configs) {
    const problems = await checkConfiguration(config, module);
    const parser = problems.length === 0;
    if (parser !== schemaAccepts(config)) {
      disagreements.push(`${config}: parser ${parser ? 'accepts' : `refuses (${problems[0]})`}, schema ${parser ? 'refuses' : 'accepts'}`);
    }
  }
  assert.deepEqual(disagreements, []);
});
