// What a Prometheus query names, and what Prometheus name Envoy gives a stat: the two sides
// tests/deploy/dashboard.test.ts holds against each other.

import { formatPrometheus } from '../../host/runner/stats.ts';

/** One `stats_config.stats_tags` entry as the shipped YAML/JSON spells it (regex form). */
export interface StatsTag {
  tag_name: string;
  regex: string;
}

export interface PrometheusSeries {
  name: string;
  labels: Record<string, string>;
}

/**
 * The series Envoy's /stats/prometheus shows for one stat under these stats_tags (plus Envoy's
 * default extractors), as the local runner prints it (host/runner/stats.ts: the first capture
 * group is cut out of the name, the second becomes the label value; `wasmcustom.` dropped, no
 * `envoy_` prefix, other characters `_`). Going through the runner keeps one implementation of
 * Envoy's naming, the one tests/e2e/runner.test.ts holds to Envoy's behaviour.
 */
export function prometheusSeries(statName: string, tags: StatsTag[]): PrometheusSeries {
  const text = formatPrometheus(
    [{ name: statName, type: 'counter', value: 1 }],
    tags.map((t) => ({ name: t.tag_name, regex: new RegExp(t.regex) })),
  );
  const line = text.split('\n').find((l) => l && !l.startsWith('#'));
  const m = line === undefined ? null : /^([^{ ]+)(?:\{(.*)\})? /.exec(line);
  if (!m) throw new Error(`${statName}: not exported to Prometheus (${JSON.stringify(text)})`);
  const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
  return { name: m[1], labels };
}

// PromQL words that are not metric names when they stand without a `(` after them.
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression selects. Enough PromQL for dashboards: strings, label
 * matchers, ranges, Grafana variables and grouping clauses are removed first, so what is left
 * that looks like a name is either a function (followed by `(`), a keyword, or a metric.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index + m[0].length).trimStart();
    if (after.startsWith('(') || KEYWORDS.has(m[0].toLowerCase())) continue;
    // A number's exponent (1e3) is not a name.
    if (/[0-9.]$/.test(stripped.slice(0, m.index))) continue;
    names.add(m[0]);
  }
  return [...names].sort();
}

/** The labels an expression groups by (`by (a, b)`), which the series must carry. */
export function groupingLabels(expr: string): string[] {
  const out = new Set<string>();
  for (const m of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
    for (const l of m[1].split(',').map((s) => s.trim()).filter(Boolean)) out.add(l);
  }
  return [...out].sort();
}
