// What a Prometheus query names, and what Prometheus name Envoy gives a stat: the two sides
// tests/deploy/dashboard.test.ts holds against each other.

/** One `stats_config.stats_tags` entry (regex form, the only one the shipped files use). */
export interface StatsTag {
  tag_name: string;
  regex: string;
}

export interface PrometheusSeries {
  name: string;
  labels: Record<string, string>;
}

/**
 * Envoy's tag extraction, then its Prometheus naming: each regex is matched against the stat name;
 * its FIRST capture group is cut out of the name and its SECOND becomes the tag's value. The
 * custom `wasmcustom.` namespace is dropped (no `envoy_` prefix) and every character Prometheus
 * does not allow in a name becomes `_`.
 */
export function prometheusSeries(statName: string, tags: StatsTag[]): PrometheusSeries {
  const cuts: Array<[number, number]> = [];
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    // `d` for the capture groups' offsets: the cut is where group 1 is, not the first place its text occurs.
    const m = new RegExp(tag.regex, 'd').exec(statName);
    if (!m || m[1] === undefined || m[2] === undefined) continue;
    cuts.push(m.indices![1]!);
    labels[tag.tag_name] = m[2];
  }
  let name = '';
  for (let i = 0; i < statName.length; i++) {
    if (!cuts.some(([a, b]) => i >= a && i < b)) name += statName[i];
  }
  name = name.replace(/^wasmcustom\./, '').replace(/[^a-zA-Z0-9_:]/g, '_');
  return { name, labels };
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
