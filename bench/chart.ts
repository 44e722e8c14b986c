// `npm run bench:chart`: bench/results.json (written by bench/run.ts) as bench/results.svg, the
// chart README.md's Performance section shows: ns/request with the thin and the maps stub for
// each rule count, next to the no-op module. Plain SVG, no library, and nothing in it but the
// input (no clock, no locale), so the same results give the same bytes and the committed chart
// can be checked against the committed results (tests/bench/chart.test.ts).
//
//   node --import tsx bench/chart.ts [results.json] [results.svg]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  module: string;
  rules: number;
  ns_thin_stub: number;
  ns_maps_stub: number;
}

export interface BenchResults {
  date: string;
  node: string;
  requests: number;
  rows: BenchRow[];
}

/** The two measured series, in legend order (bench/run.ts: the host stubs). */
export const SERIES = [
  { key: 'ns_thin_stub', label: 'thin stub', color: '#1f77b4' },
  { key: 'ns_maps_stub', label: 'maps stub', color: '#d62728' },
] as const;

const NO_OP = 'no-op module';
const W = 760;
const H = 420;
const M = { left: 72, right: 190, top: 56, bottom: 64 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
// One decimal at most: enough for a pixel, and the same digits on every machine.
const num = (n: number) => String(Math.round(n * 10) / 10);
const group = (n: number) => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

/** A row's place on the x axis: the no-op module, or its rule count (1, 1k, 100k). */
export function rowLabel(row: BenchRow): string {
  if (row.module === NO_OP) return 'no-op module';
  const r = row.rules;
  const short = r >= 1_000_000 && r % 1_000_000 === 0 ? `${r / 1_000_000}M` : r >= 1000 && r % 1000 === 0 ? `${r / 1000}k` : String(r);
  return `${short} rule${r === 1 ? '' : 's'}`;
}

/** A 1/2/5 × 10^k step giving about five ticks up to at least `max`. */
function ticks(max: number): number[] {
  const raw = Math.max(max, 1) / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

export function parseResults(text: string): BenchResults {
  const data = JSON.parse(text) as BenchResults;
  if (!Array.isArray(data.rows) || data.rows.length === 0) throw new Error('results.json: expected rows (run npm run bench)');
  data.rows.forEach((row, i) => {
    for (const s of SERIES) {
      if (typeof row[s.key] !== 'number' || !Number.isFinite(row[s.key])) throw new Error(`results.json: rows[${i}].${s.key}: expected a number`);
    }
  });
  return data;
}

export function renderChart(data: BenchResults): string {
  const rows = data.rows;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yt = ticks(Math.max(...rows.flatMap((r) => SERIES.map((s) => r[s.key]))));
  const yMax = yt[yt.length - 1];
  const x = (i: number) => M.left + (plotW * (i + 0.5)) / rows.length;
  const y = (v: number) => M.top + plotH - (plotH * v) / yMax;
  const out: string[] = [];
  const line = (s: string) => out.push(s);

  line(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  line(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  line(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">routekey: time per request by rule count</text>`);
  line(`<text x="${M.left}" y="40" fill="#555555">${esc(`node ${data.node}, ${group(data.requests)} requests per run, best of 3 (bench/results.json, ${data.date.slice(0, 10)})`)}</text>`);

  // Axes, grid and tick labels.
  line('<g class="y-axis">');
  for (const v of yt) {
    line(`<line x1="${M.left}" y1="${num(y(v))}" x2="${M.left + plotW}" y2="${num(y(v))}" stroke="#e5e5e5"/>`);
    line(`<text x="${M.left - 8}" y="${num(y(v) + 4)}" text-anchor="end">${group(v)}</text>`);
  }
  line(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#000000"/>`);
  line(`<text x="18" y="${num(M.top + plotH / 2)}" text-anchor="middle" transform="rotate(-90 18 ${num(M.top + plotH / 2)})">ns per request</text>`);
  line('</g>');
  line('<g class="x-axis">');
  line(`<line x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="#000000"/>`);
  rows.forEach((r, i) => line(`<text x="${num(x(i))}" y="${M.top + plotH + 20}" text-anchor="middle">${esc(rowLabel(r))}</text>`));
  line(`<text x="${num(M.left + plotW / 2)}" y="${H - 16}" text-anchor="middle">rules in the configuration</text>`);
  line('</g>');

  // The no-op module as a reference line across the plot: the cost of the host stub itself.
  const noop = rows.findIndex((r) => r.module === NO_OP);
  if (noop >= 0) {
    const v = y(rows[noop].ns_thin_stub);
    line(`<line class="no-op" x1="${M.left}" y1="${num(v)}" x2="${M.left + plotW}" y2="${num(v)}" stroke="#777777" stroke-dasharray="5 4"/>`);
  }

  // Series: a line through the filter's rows, a point (with its value) for every row.
  for (const [k, s] of SERIES.entries()) {
    const filterRows = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.module !== NO_OP);
    line(`<g class="series" data-series="${s.key}">`);
    if (filterRows.length > 1) {
      line(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${filterRows.map(({ r, i }) => `${num(x(i))},${num(y(r[s.key]))}`).join(' ')}"/>`);
    }
    rows.forEach((r, i) => {
      const cx = num(x(i));
      const cy = num(y(r[s.key]));
      line(`<circle cx="${cx}" cy="${cy}" r="4" fill="${s.color}" data-series="${s.key}" data-row="${i}" data-value="${r[s.key]}"><title>${esc(`${rowLabel(r)}, ${s.label}: ${r[s.key]} ns`)}</title></circle>`);
      // Thin-stub values right of their point, maps-stub values over it, so equal values (the
      // no-op module's) stay readable and none runs into the x axis labels.
      const at = k === 0 ? `x="${num(x(i) + 8)}" y="${num(y(r[s.key]) + 4)}" text-anchor="start"` : `x="${cx}" y="${num(y(r[s.key]) - 10)}" text-anchor="middle"`;
      line(`<text ${at} fill="${s.color}">${group(r[s.key])}</text>`);
    });
    line('</g>');
  }

  // Legend.
  const lx = W - M.right + 20;
  line('<g class="legend">');
  SERIES.forEach((s, k) => {
    const ly = M.top + 10 + k * 22;
    line(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    line(`<circle cx="${lx + 12}" cy="${ly}" r="4" fill="${s.color}"/>`);
    line(`<text x="${lx + 32}" y="${ly + 4}">${esc(`routekey, ${s.label}`)}</text>`);
  });
  if (noop >= 0) {
    const ly = M.top + 10 + SERIES.length * 22;
    line(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="#777777" stroke-dasharray="5 4"/>`);
    line(`<text x="${lx + 32}" y="${ly + 4}">no-op module</text>`);
  }
  line('</g>');
  line('</svg>');
  return out.join('\n') + '\n';
}

const here = fileURLToPath(import.meta.url);
if (process.argv[1] && path.resolve(process.argv[1]) === here) {
  const root = path.resolve(path.dirname(here), '..');
  const input = path.resolve(process.argv[2] ?? path.join(root, 'bench/results.json'));
  const output = path.resolve(process.argv[3] ?? path.join(root, 'bench/results.svg'));
  try {
    fs.writeFileSync(output, renderChart(parseResults(fs.readFileSync(input, 'utf8'))));
    console.log(`written to ${path.relative(process.cwd(), output)}`);
  } catch (e) {
    console.error(`bench/chart.ts: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
