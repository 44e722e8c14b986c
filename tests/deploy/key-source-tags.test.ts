// The `key_source` label: the stats_tags rule shipped in envoy/envoy.yaml (and the same rule in
// istio/bootstrap-stats-tags.yaml and the runner's generated bootstrap) turns the filter's
// routekey.keyed.key_source.<kind>.<name> counters into routekey_keyed{key_source="<kind>.<name>"},
// for every name the built module emits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startPlugin } from '../../host/lib/index.ts';
import { generateBootstrap } from '../../host/runner/index.ts';
import { WASM, filterMissing, readText, readYaml, type Any } from './deploy-helpers.ts';
import { prometheusSeries, type StatsTag } from './stats-names.ts';

const envoyTags = (): StatsTag[] => readYaml('envoy/envoy.yaml').stats_config.stats_tags;
const istioTags = (): StatsTag[] =>
  JSON.parse(readYaml('istio/bootstrap-stats-tags.yaml').data['custom_bootstrap.json']).stats_config.stats_tags;
const keySourceTag = (tags: StatsTag[]) => tags.find((t) => t.tag_name === 'key_source');

/** Envoy's extraction by hand: group 1 is cut from the name, group 2 is the value. */
function extract(regex: string, name: string): { name: string; value?: string } {
  const m = new RegExp(regex).exec(name);
  return m ? { name: name.replace(m[1]!, ''), value: m[2] } : { name };
}

test('envoy.yaml: the key_source rule cuts .key_source.<kind>.<name> and labels it <kind>.<name>', () => {
  const tag = keySourceTag(envoyTags());
  assert.ok(tag, 'envoy.yaml has a key_source stats tag');
  const ok = (stat: string, value: string) =>
    assert.deepEqual(extract(tag.regex, `wasmcustom.routekey.keyed.key_source.${stat}`), { name: 'wasmcustom.routekey.keyed', value });
  ok('header.x-env', 'header.x-env');
  ok('baggage.routing-key', 'baggage.routing-key');
  ok('tracestate.acme_sb_1a2b3c4d', 'tracestate.acme_sb_1a2b3c4d');
  ok('cookie.sandbox', 'cookie.sandbox');
  ok('query.sb', 'query.sb');
  // Only the filter's names: one dot between kind and name, nothing else in the namespace.
  assert.equal(extract(tag.regex, 'wasmcustom.routekey.keyed.key_source.header.a.b').value, undefined);
  assert.equal(extract(tag.regex, 'wasmcustom.routekey.keyed.key_source.header').value, undefined);
  assert.equal(extract(tag.regex, 'wasmcustom.routekey.routed.route.dev').value, undefined);
  assert.equal(extract(tag.regex, 'routekey.keyed.key_source.header.x-env').value, undefined, 'only under wasmcustom.');

  // As Prometheus sees it with every shipped rule (and Envoy's defaults) applied.
  for (const tags of [envoyTags(), istioTags()]) {
    assert.deepEqual(prometheusSeries('wasmcustom.routekey.keyed.key_source.baggage.routing-key', tags),
      { name: 'routekey_keyed', labels: { key_source: 'baggage.routing-key' } });
    assert.deepEqual(prometheusSeries('wasmcustom.routekey.routed.route.dev', tags), { name: 'routekey_routed', labels: { route: 'dev' } });
  }
});

test('istio/bootstrap-stats-tags.yaml and the runner\'s generated bootstrap carry the same key_source rule; README gives it', () => {
  const tag = keySourceTag(envoyTags())!;
  assert.deepEqual(keySourceTag(istioTags()), tag);
  const generated = generateBootstrap({
    listener: { address: '127.0.0.1', port: 10000 }, admin: { address: '127.0.0.1', port: 9901 },
    wasmFilename: 'routekey.wasm', configuration: '{}', destinations: [], clusters: [],
  }) as Any;
  const shipped = new Map(envoyTags().map((t) => [t.tag_name, t.regex]));
  for (const t of generated.stats_config.stats_tags as StatsTag[]) assert.equal(t.regex, shipped.get(t.tag_name), `generated ${t.tag_name} is envoy.yaml's`);
  assert.deepEqual(keySourceTag(generated.stats_config.stats_tags), tag);
  assert.ok(readText('README.md').includes(tag.regex), 'README.md gives the regex of envoy.yaml');
});

test('every key source counter the built module emits gets a key_source label naming its source', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const configuration = JSON.stringify({
    key: [{ header: 'X-Env' }, { baggage: 'routing-key' }, { tracestate: 'acme@sb' }, { cookie: 'sb' }, { query: 'a.b' }],
    routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc' }],
  });
  const plugin = await startPlugin({ wasm: new Uint8Array(readFileSync(WASM)), rootId: 'routekey', configuration, workers: 1 });
  try {
    const base: Array<[string, string]> = [[':method', 'GET'], [':scheme', 'http'], [':authority', 'app']];
    for (const [path, extra] of [
      ['/', ['x-env', 'dev']], ['/', ['baggage', 'routing-key=dev']], ['/', ['tracestate', 'acme@sb=dev']],
      ['/', ['cookie', 'sb=dev']], ['/?a.b=dev', undefined],
    ] as Array<[string, [string, string] | undefined]>) {
      const stream = plugin.createStream();
      stream.onRequestHeaders([...base, [':path', path], ...(extra ? [extra] : [])], true);
      stream.complete();
    }
    for (let i = 0; i < 10; i++) plugin.fireTicks();
    const stats = plugin.metrics().map((m) => m.name).filter((n) => n.startsWith('wasmcustom.routekey.keyed.'));
    const labels = stats.map((s) => {
      const series = prometheusSeries(s, envoyTags());
      assert.equal(series.name, 'routekey_keyed', `${s} is one series family`);
      return series.labels.key_source;
    }).sort();
    assert.equal(labels.length, 5);
    assert.deepEqual(labels.map((l) => l!.replace(/_[0-9a-f]{8}$/, '_HASH')),
      ['baggage.routing-key', 'cookie.sb', 'header.x-env', 'query.a_b_HASH', 'tracestate.acme_sb_HASH']);
  } finally {
    await plugin.close();
  }
});
