// grafana/routekey-dashboard.json queries only metrics routekey really emits, under the names
// Envoy's Prometheus output gives them with the stats_tags we ship (envoy/envoy.yaml, and the
// same rules in istio/bootstrap-stats-tags.yaml). The routing metrics come from the BUILT module,
// driven with envoy/envoy.yaml's configuration; the live-rules metrics are checked against a
// pending list until the module defines any `routekey.rules.` stat, and against the module then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Plugin } from '../../host/lib/index.ts';
import { WASM, filterMissing, readText, readYaml, envoyWasmFilter, type Any } from './deploy-helpers.ts';
import { groupingLabels, metricNames, prometheusSeries, type StatsTag } from './stats-names.ts';

const DASHBOARD = 'grafana/routekey-dashboard.json';
const dashboard: Any = JSON.parse(readText(DASHBOARD));

/** Every panel, rows' nested panels included. */
function panels(): Any[] {
  return (dashboard.panels as Any[]).flatMap((p) => [p, ...(p.panels ?? [])]);
}
const queries = () => panels().flatMap((p) => (p.targets ?? []).map((t: Any) => ({ panel: p.title as string, expr: t.expr as string })));
const rulesRow = () => {
  // Panels below the "Rules fetch" row (rows are flat in schemaVersion >= 36 when expanded).
  const all = dashboard.panels as Any[];
  const at = all.findIndex((p) => p.type === 'row' && /rules fetch/i.test(p.title));
  assert.ok(at >= 0, 'a "Rules fetch" row');
  const next = all.findIndex((p, i) => i > at && p.type === 'row');
  return new Set(all.slice(at + 1, next < 0 ? undefined : next).map((p) => p.title as string));
};

const envoyTags = (): StatsTag[] => readYaml('envoy/envoy.yaml').stats_config.stats_tags;
const istioTags = (): StatsTag[] =>
  JSON.parse(readYaml('istio/bootstrap-stats-tags.yaml').data['custom_bootstrap.json']).stats_config.stats_tags;

// The live-rules stats, as the parallel change names them (not in the module yet). PENDING_TAGS
// is the stats_tags rule the shipped files need for the `reason` label; it is used only while
// neither the module has the stats nor the shipped files the rule.
const PENDING_RULES_STATS = [
  'routekey.rules.fetch.attempt',
  'routekey.rules.fetch.success',
  'routekey.rules.fetch.not_modified',
  'routekey.rules.fetch.failed.reason.timeout',
  'routekey.rules.swap',
  'routekey.rules.routes',
  'routekey.rules.generation',
];
const REASON_PREFIX = 'routekey.rules.fetch.failed.reason.';
const PENDING_TAGS: StatsTag[] = [
  { tag_name: 'reason', regex: '^wasmcustom\\.routekey\\.rules\\.fetch\\.failed(\\.reason\\.([A-Za-z0-9_-]+))$' },
];

/** Stat names the module carries as string constants (AssemblyScript keeps them UTF-16LE). */
function moduleStrings(module: Uint8Array, prefix: string): boolean {
  const bytes = Buffer.from(module);
  return bytes.includes(Buffer.from(prefix, 'utf16le')) || bytes.includes(Buffer.from(prefix, 'utf8'));
}

test('the dashboard imports into any Grafana: schemaVersion >= 36, a Prometheus datasource variable, no fixed datasource uid', () => {
  assert.ok(dashboard.schemaVersion >= 36, `schemaVersion ${dashboard.schemaVersion}`);
  const ds = dashboard.templating.list.find((v: Any) => v.name === 'datasource');
  assert.equal(ds?.type, 'datasource');
  assert.equal(ds?.query, 'prometheus');
  const ids = panels().map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels()) {
    assert.ok(p.gridPos && p.title, `panel ${p.id} has a title and a place`);
    if (p.type === 'row') continue;
    assert.ok(p.targets?.length > 0, `${p.title}: has queries`);
    for (const where of [p, ...p.targets]) {
      assert.deepEqual(where.datasource, { type: 'prometheus', uid: '${datasource}' }, `${p.title}: datasource is the variable`);
    }
  }
  assert.ok(!/"uid"\s*:\s*"(?!\$\{datasource\}|routekey")/.test(readText(DASHBOARD)), 'no other uid is written in');
});

test('metricNames reads names out of PromQL and nothing else', () => {
  assert.deepEqual(
    metricNames('sum by (route) (rate(a_b{route=~"x|y", job="c"}[5m])) / ignoring(le) group_left(z) c:d or vector(0) * 1e3 + $__rate_interval'),
    ['a_b', 'c:d'],
  );
  assert.deepEqual(groupingLabels('sum by (route, pod) (rate(x[1m])) + sum by(reason)(y)'), ['pod', 'reason', 'route']);
  // The cut is where group 1 is, and what is left is Prometheus-safe.
  assert.deepEqual(prometheusSeries('wasmcustom.routekey.routed.route.a-b', envoyTags()), { name: 'routekey_routed', labels: { route: 'a-b' } });
  assert.deepEqual(prometheusSeries('wasmcustom.routekey.routed.route.a.b', envoyTags()), { name: 'routekey_routed_route_a_b', labels: {} });
});

/** What the built module emits for a route, the default and a passthrough, as Envoy would store it. */
async function emittedStats(): Promise<{ names: string[]; module: Uint8Array }> {
  const { startPlugin } = (await import('../../host/lib/index.ts')) as { startPlugin: (o: Any) => Promise<Plugin> };
  const module = new Uint8Array(readFileSync(WASM));
  const config = envoyWasmFilter(readYaml('envoy/envoy.yaml')).typed_config.config;
  const shipped = config.configuration.value as string;
  // The shipped configuration always has a default (`default` in the native form, `destination` in
  // the original one); the same rules without it pass an unknown key through.
  const { destination: _destination, default: _default, ...noDefault } = JSON.parse(shipped);
  const names = new Set<string>();
  for (const [configuration, requests, expect] of [
    [shipped, [{ environment: 'dev' }, {}], ['routekey.routed.route.dev', 'routekey.default']],
    [JSON.stringify(noDefault), [{ environment: 'staging' }], ['routekey.passthrough']],
  ] as Array<[string, Record<string, string>[], string[]]>) {
    const plugin = await startPlugin({ wasm: module, rootId: config.root_id, vmId: config.vm_config.vm_id, configuration, workers: 1 });
    try {
      for (const extra of requests) {
        const stream = plugin.createStream();
        stream.onRequestHeaders([[':method', 'GET'], [':path', '/'], [':scheme', 'http'], [':authority', 'localhost:10000'], ...Object.entries(extra)], true);
        stream.complete();
      }
      // Counts reach Envoy on the 1 s flush duty; with live rules the tick is shorter (100 ms at least).
      for (let i = 0; i < 10; i++) plugin.fireTicks();
      const metrics = plugin.metrics();
      for (const name of expect) {
        assert.ok((metrics.find((m) => m.name === `wasmcustom.${name}`)?.value ?? 0) > 0, `${name} counted`);
      }
      for (const m of metrics) names.add(m.name);
    } finally {
      await plugin.close();
    }
  }
  return { names: [...names].sort(), module };
}

test('every metric a panel queries is one the built filter emits, under the shipped stats_tags names', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const { names, module } = await emittedStats();
  const routing = names.filter((n) => n.startsWith('wasmcustom.routekey.') && !n.startsWith('wasmcustom.routekey.rules.'));
  const rules = names.filter((n) => n.startsWith('wasmcustom.routekey.rules.'));
  const hasRulesStats = rules.length > 0 || moduleStrings(module, 'routekey.rules.');
  const shippedTags = [envoyTags(), istioTags()];

  // Envoy and Istio must give the dashboard the same names: one dashboard serves both.
  const known = new Map<string, Set<string>>(); // Prometheus name → labels it carries
  const add = (stats: string[], tags: StatsTag[][]) => {
    for (const stat of stats) {
      const series = tags.map((ts) => prometheusSeries(stat, ts));
      for (const s of series) assert.deepEqual(s, series[0], `${stat}: envoy/envoy.yaml and istio/bootstrap-stats-tags.yaml agree`);
      const labels = known.get(series[0].name) ?? new Set();
      for (const l of Object.keys(series[0].labels)) labels.add(l);
      known.set(series[0].name, labels);
    }
  };
  add(routing, shippedTags);
  if (hasRulesStats) {
    // Fail closed: once the module has them, the names must be the module's and the shipped files
    // must carry the `reason` rule themselves.
    for (const name of PENDING_RULES_STATS) {
      const constant = name.startsWith(REASON_PREFIX) ? REASON_PREFIX : name;
      assert.ok(moduleStrings(module, constant) || rules.includes(`wasmcustom.${name}`), `the module defines ${constant} (dashboard's Rules fetch row)`);
    }
    add(PENDING_RULES_STATS.map((n) => `wasmcustom.${n}`).concat(rules), shippedTags);
  } else {
    t.diagnostic('pending: the module defines no routekey.rules. stat yet; the Rules fetch row is checked against PENDING_RULES_STATS');
    add(PENDING_RULES_STATS.map((n) => `wasmcustom.${n}`), shippedTags.map((ts) => (ts.some((x) => x.tag_name === 'reason') ? ts : [...ts, ...PENDING_TAGS])));
  }

  const used = new Set<string>();
  const fromRulesRow = new Set<string>();
  const rowTitles = rulesRow();
  for (const { panel, expr } of queries()) {
    const metrics = metricNames(expr);
    assert.ok(metrics.length > 0, `${panel}: ${expr} names a metric`);
    for (const m of metrics) {
      assert.ok(known.has(m), `${panel}: ${m} is not a name routekey emits (known: ${[...known.keys()].join(', ')})`);
      used.add(m);
      if (rowTitles.has(panel)) fromRulesRow.add(m);
    }
    for (const l of groupingLabels(expr)) {
      assert.ok(metrics.some((m) => known.get(m)!.has(l)), `${panel}: label ${l} is on ${metrics.join(', ')}`);
    }
  }
  // And nothing routekey emits is left off the dashboard.
  assert.deepEqual([...known.keys()].filter((k) => !used.has(k)), [], 'every emitted metric has a panel');
  assert.ok([...fromRulesRow].every((m) => m.startsWith('routekey_rules_')) && fromRulesRow.size > 0, 'the Rules fetch row shows the live-rules metrics');
  assert.ok(known.get('routekey_routed')?.has('route'), 'routes are a label, not one name per route');
});
