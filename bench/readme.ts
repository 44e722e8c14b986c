// `npm run bench:readme`: the README's performance tables, rendered from bench/results.json and
// written between the `<!-- bench:NAME -->` … `<!-- /bench:NAME -->` markers of README.md (no
// hand-copied figures; tests/bench/readme.test.ts fails when the README and results.json differ).
//   node --import tsx bench/readme.ts [--check]
// A new row group: a function from results.json to its markdown, one entry in TABLES, and the
// markers in the README.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const README = path.join(root, 'README.md');
export const RESULTS = path.join(root, 'bench/results.json');

type Row = Record<string, number | string>;
type Results = Record<string, unknown> & { date: string; node: string; requests: number; rounds?: number };

const group = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ',');
const kib = (k: number) => (k >= 1024 ? `${(k / 1024).toFixed(1)} MiB` : `${Math.round(k)} KiB`);
const bytes = (b: number) => (b >= 1024 * 1024 ? `${(b / 1048576).toFixed(1)} MiB` : b >= 1024 ? `${Math.round(b / 1024)} KiB` : `${b} B`);
const ms = (m: number) => `${group(Math.round(m))} ms`;
const num = (row: Row, key: string): number => {
  const v = row[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`results.json: ${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
};
const table = (head: string[], body: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
const rowsOf = (r: Results, key: string): Row[] => {
  const rows = r[key];
  if (!Array.isArray(rows) || rows.length === 0) throw new Error(`results.json: ${key}: expected rows (run npm run bench)`);
  return rows as Row[];
};

function perRequest(r: Results): string {
  const rows = rowsOf(r, 'rows');
  const spread = (row: Row, stub: string) => {
    const s = row[`ns_${stub}_spread`];
    return typeof s === 'number' ? `${num(row, `ns_${stub}_stub`)} ± ${s}` : String(num(row, `ns_${stub}_stub`));
  };
  const how = r.rounds ? `median ± spread (max − min) of ${r.rounds} rounds` : 'best of 3 runs';
  return `Measured here, node ${r.node}, ${group(r.requests)} requests per round, ${how} (\`bench/results.json\`, ${r.date.slice(0, 10)}):\n\n` + table(
    ['rules', 'ns/request, maps stub', 'over the no-op module (maps)', 'ns/request, thin stub', "the filter's own work (thin, over the replay)", 'host calls/request', 'configure', 'linear memory', 'growth over the runs', 'rule table', 'memory after a reconfiguration'],
    rows.map((row) => [
      row.module === 'no-op module' ? 'no-op module' : group(num(row, 'rules')),
      spread(row, 'maps'),
      row.module === 'no-op module' ? '–' : typeof row.maps_over_noop_ns === 'number' ? String(row.maps_over_noop_ns) : '–',
      spread(row, 'thin'),
      row.module === 'no-op module'
        ? (typeof row.replay_ns_thin_stub === 'number' ? `replay: ${row.replay_ns_thin_stub} ± ${num(row, 'replay_ns_thin_spread')}` : '–')
        : typeof row.guest_ns === 'number' ? String(row.guest_ns) : '–',
      String(num(row, 'host_calls')),
      ms(num(row, 'configure_ms')),
      kib(num(row, 'memory_kib')),
      kib(num(row, 'growth_kib')),
      num(row, 'table_bytes') === 0 ? '–' : bytes(num(row, 'table_bytes')),
      kib(num(row, 'after_reconfigure_kib')),
    ]));
}

function liveRules(r: Results): string {
  const rows = rowsOf(r, 'live_rules');
  return table(
    ['routes', 'document', 'VMs', 'holder: fetch answer → swapped', 'each other VM: adopted on its tick', 'second swap (holder / others)', 'memory before', 'peak (after the swap)', 'after a second swap'],
    rows.map((row) => [
      group(num(row, 'routes')), bytes(num(row, 'doc_bytes')), String(num(row, 'vms')),
      ms(num(row, 'holder_ms')), ms(num(row, 'adopt_ms')),
      `${ms(num(row, 'second_holder_ms'))} / ${ms(num(row, 'second_adopt_ms'))}`,
      kib(num(row, 'memory_before_kib')), kib(num(row, 'memory_peak_kib')), kib(num(row, 'memory_after_kib')),
    ]));
}

function scoped(r: Results): string {
  if (!Array.isArray(r.scoped) || r.scoped.length === 0) return '_Not measured yet: run `npm run bench`._';
  const rows = rowsOf(r, 'scoped');
  return table(
    ['routes', 'ns/request, maps stub', 'against 10 routes', 'host calls/request', 'configure', 'linear memory', 'rule table'],
    rows.map((row) => [
      group(num(row, 'routes')), `${num(row, 'ns_maps_stub')} ± ${num(row, 'ns_maps_spread')}`,
      typeof row.over_10_routes === 'number' ? `${row.over_10_routes.toFixed(2)}×` : '–',
      String(num(row, 'host_calls')), ms(num(row, 'configure_ms')), kib(num(row, 'memory_kib')), bytes(num(row, 'table_bytes')),
    ]));
}

function runnerLoad(r: Results): string {
  const load = r.runner_load as { date?: string; concurrency?: number; variants?: Row[] } | undefined;
  if (!load || !Array.isArray(load.variants) || load.variants.length === 0) return '_Not measured yet: run `npm run bench:runner-load`._';
  const base = load.variants.find((v) => v.variant === 'runner without a wasm filter');
  const ratio = (v: Row, key: string) => (base ? `${(num(v, key) / num(base, key)).toFixed(2)}×` : '–');
  return `${group(load.concurrency ?? 0)} concurrent requests, each on its own connection (\`npm run bench:runner-load\`, ${String(load.date ?? '').slice(0, 10)}); ratios against the runner without a wasm filter:\n\n` + table(
    ['', 'requests/s', 'p50', 'p95', 'p99', 'throughput ratio', 'p99 ratio', '200', '503 overflow', 'failed'],
    load.variants.map((v) => [
      String(v.variant), group(num(v, 'perSecond')), ms(num(v, 'p50Ms')), ms(num(v, 'p95Ms')), ms(num(v, 'p99Ms')),
      ratio(v, 'perSecond'), ratio(v, 'p99Ms'), group(num(v, 'ok200')), group(num(v, 'overflow503')), group(num(v, 'failed')),
    ]));
}

export const TABLES: Record<string, (r: Results) => string> = {
  'per-request': perRequest,
  'live-rules': liveRules,
  scoped,
  'runner-load': runnerLoad,
};

/** README text with every marked table replaced by its rendering of `results`. */
export function renderReadme(readme: string, resultsText: string): string {
  const results = JSON.parse(resultsText) as Results;
  let out = readme;
  for (const [name, render] of Object.entries(TABLES)) {
    const re = new RegExp(`(<!-- bench:${name} -->)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    if (!re.test(out)) throw new Error(`README.md: no <!-- bench:${name} --> … <!-- /bench:${name} --> markers`);
    const body = render(results);
    out = out.replace(re, (_m, a: string, b: string) => `${a}\n${body}\n${b}`);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const readme = fs.readFileSync(README, 'utf8');
  const next = renderReadme(readme, fs.readFileSync(RESULTS, 'utf8'));
  if (process.argv.includes('--check')) {
    if (next !== readme) { console.error('README.md performance tables differ from bench/results.json: run npm run bench:readme'); process.exit(1); }
  } else {
    fs.writeFileSync(README, next);
    console.log(next === readme ? 'README.md: tables already current' : 'README.md: performance tables rewritten from bench/results.json');
  }
}
