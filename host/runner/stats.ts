// The runner's own counters plus the plugins' metrics, printed the way Envoy's admin does:
// `/stats` as `name: value` lines, `/stats/prometheus` with tag extraction (stats_tags regexes:
// the first capture group is cut out of the name, the second — or else the first — is the label
// value), the `wasmcustom.` namespace dropped and other names prefixed `envoy_`.

import type { MetricValue } from '../lib/index.ts';
import type { StatsTag } from './model.ts';

export class Stats {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();

  inc(name: string, by = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }
  set(name: string, value: number) {
    this.gauges.set(name, value);
  }
  /** The runner's stats followed by the plugins' (metrics of one name are merged). */
  collect(pluginMetrics: MetricValue[][]): MetricValue[] {
    const out = new Map<string, MetricValue>();
    for (const [name, value] of this.counters) out.set(name, { name, type: 'counter', value });
    for (const [name, value] of this.gauges) out.set(name, { name, type: 'gauge', value });
    for (const list of pluginMetrics) {
      for (const m of list) {
        const prev = out.get(m.name);
        if (!prev) out.set(m.name, { ...m, samples: m.samples ? [...m.samples] : undefined });
        else if (m.type === 'gauge') prev.value = m.value;
        else {
          prev.value += m.value;
          if (m.samples) prev.samples = [...(prev.samples ?? []), ...m.samples];
        }
      }
    }
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

const QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Envoy's `/stats` text: `name: value`; histograms as quantiles. `filter` is a regex. */
export function formatText(metrics: MetricValue[], filter?: RegExp): string {
  const lines: string[] = [];
  for (const m of metrics) {
    if (filter && !filter.test(m.name)) continue;
    if (m.type === 'histogram') {
      const s = [...(m.samples ?? [])].sort((a, b) => a - b);
      if (s.length === 0) lines.push(`${m.name}: No recorded values`);
      else lines.push(`${m.name}: ${QUANTILES.map((q) => `P${q}(${quantile(s, q)},${quantile(s, q)})`).join(' ')}`);
    } else {
      lines.push(`${m.name}: ${m.value}`);
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

/** Envoy's default extractors that matter for the names the runner produces. */
const DEFAULT_TAGS: StatsTag[] = [
  { name: 'envoy.cluster_name', regex: /^cluster\.((.*?)\.)/ },
  { name: 'envoy.http_conn_manager_prefix', regex: /^http\.((.*?)\.)/ },
  { name: 'envoy.response_code_class', regex: /_rq(_(\dxx))$/ },
  { name: 'envoy.response_code', regex: /_rq(_(\d{3}))$/ },
];

export interface Tagged {
  name: string;
  tags: Array<[string, string]>;
}

/** Applies each extractor to the full name, then removes every first capture group. */
export function extractTags(name: string, tags: StatsTag[]): Tagged {
  const remove: Array<[number, number]> = [];
  const out: Array<[string, string]> = [];
  for (const t of tags) {
    const re = new RegExp(t.regex.source, t.regex.flags.replace('g', '') + 'd');
    const m = re.exec(name);
    if (!m || m[1] === undefined) continue;
    const indices = m.indices!;
    const value = m.length > 2 && m[2] !== undefined ? m[2] : m[1];
    out.push([t.name, value]);
    remove.push(indices[1]!);
  }
  if (remove.length === 0) return { name, tags: out };
  const drop = new Array<boolean>(name.length).fill(false);
  for (const [s, e] of remove) for (let i = s; i < e; i++) drop[i] = true;
  let extracted = '';
  for (let i = 0; i < name.length; i++) if (!drop[i]) extracted += name[i];
  return { name: extracted, tags: out };
}

function sanitize(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

/** Envoy's PrometheusStatsFormatter::metricName; undefined = not exportable. */
export function prometheusName(extracted: string): string | undefined {
  if (extracted.startsWith('wasmcustom.')) {
    const n = sanitize(extracted.slice('wasmcustom.'.length));
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n) || n.startsWith('__')) return undefined;
    return n;
  }
  return `envoy_${sanitize(extracted)}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export function formatPrometheus(metrics: MetricValue[], statsTags: StatsTag[], useAllDefaultTags = true): string {
  const extractors = useAllDefaultTags ? [...statsTags, ...DEFAULT_TAGS] : statsTags;
  const families = new Map<string, { type: MetricValue['type']; series: string[] }>();
  for (const m of metrics) {
    const t = extractTags(m.name, extractors);
    const name = prometheusName(t.name);
    if (name === undefined) continue;
    const labels = t.tags.map(([k, v]) => `${sanitize(k)}="${escapeLabel(v)}"`);
    const fam = families.get(name) ?? { type: m.type, series: [] };
    families.set(name, fam);
    const braces = (extra: string[] = []) => {
      const all = [...labels, ...extra];
      return all.length ? `{${all.join(',')}}` : '';
    };
    if (m.type === 'histogram') {
      const samples = m.samples ?? [];
      for (const b of BUCKETS) {
        fam.series.push(`${name}_bucket${braces([`le="${b}"`])} ${samples.filter((s) => s <= b).length}`);
      }
      fam.series.push(`${name}_bucket${braces(['le="+Inf"'])} ${samples.length}`);
      fam.series.push(`${name}_sum${braces()} ${samples.reduce((a, b) => a + b, 0)}`);
      fam.series.push(`${name}_count${braces()} ${samples.length}`);
    } else {
      fam.series.push(`${name}${braces()} ${m.value}`);
    }
  }
  const out: string[] = [];
  for (const name of [...families.keys()].sort()) {
    const fam = families.get(name)!;
    out.push(`# TYPE ${name} ${fam.type}`, ...fam.series);
  }
  return out.join('\n') + (out.length ? '\n' : '');
}
