// bench/chart.ts: the SVG is well-formed, has a point per row of bench/results.json at the
// right height, is the same bytes every run, and the committed bench/results.svg (the README's
// chart) is what the committed results give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults, renderChart, SERIES } from '../../bench/chart.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RESULTS = path.join(ROOT, 'bench/results.json');
const results = () => parseResults(readFileSync(RESULTS, 'utf8'));

interface Element { name: string; attrs: Record<string, string> }

/** A small XML check: one root, every tag closed in order, attributes quoted, entities known. */
function elements(xml: string): Element[] {
  const out: Element[] = [];
  const open: string[] = [];
  let rootClosed = false;
  const rest = xml.replace(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g, (_m, close, name, attrs, self) => {
    assert.ok(!rootClosed, `<${close}${name}> after the root element ended`);
    if (close) {
      assert.equal(open.pop(), name, `</${name}> closes what was opened`);
    } else {
      out.push({ name, attrs: Object.fromEntries([...attrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])) });
      if (!self) open.push(name);
    }
    rootClosed = open.length === 0;
    return '';
  });
  assert.deepEqual(open, [], 'every element is closed');
  assert.ok(!/[<>]/.test(rest), `no stray markup: ${rest.match(/.{0,20}[<>].{0,20}/)?.[0]}`);
  for (const e of rest.match(/&[^;\s]*;?/g) ?? []) assert.match(e, /^&(amp|lt|gt|quot|apos);$/, 'known entities only');
  assert.equal(out[0]?.name, 'svg');
  assert.equal(xml.trim().endsWith('</svg>'), true, 'nothing after the root');
  return out;
}

test('the chart is well-formed SVG with axes, labels and a legend', () => {
  const svg = renderChart(results());
  const els = elements(svg);
  assert.equal(els[0].attrs.xmlns, 'http://www.w3.org/2000/svg');
  for (const text of ['ns per request', 'rules in the configuration', 'no-op module', '1 rule', '1k rules', '100k rules', ...SERIES.map((s) => s.label)]) {
    assert.ok(svg.includes(`>${text}<`) || svg.includes(`, ${text}<`), `shows "${text}"`);
  }
  assert.ok(els.some((e) => e.attrs.class === 'legend') && els.some((e) => e.attrs.class === 'x-axis') && els.some((e) => e.attrs.class === 'y-axis'));
  // The checker itself refuses what is not well-formed.
  assert.throws(() => elements('<svg><g></svg>'));
  assert.throws(() => elements('<svg><text>a & b</text></svg>'));
  assert.throws(() => elements('<svg></svg><svg></svg>'));
  assert.throws(() => elements('<svg><rect x=1/></svg>'));
});

test('a point per row and series of results.json, higher for more ns', () => {
  const data = results();
  const points = elements(renderChart(data)).filter((e) => e.name === 'circle' && e.attrs['data-row'] !== undefined);
  assert.equal(points.length, data.rows.length * SERIES.length);
  for (const s of SERIES) {
    const ofSeries = points.filter((p) => p.attrs['data-series'] === s.key);
    data.rows.forEach((row, i) => {
      const p = ofSeries.find((e) => e.attrs['data-row'] === String(i));
      assert.equal(Number(p?.attrs['data-value']), row[s.key], `row ${i}, ${s.key}`);
    });
  }
  // Screen y grows downwards: a larger value sits higher, equal values at the same height.
  for (const a of points) {
    for (const b of points) {
      const [va, vb] = [Number(a.attrs['data-value']), Number(b.attrs['data-value'])];
      if (va > vb) assert.ok(Number(a.attrs.cy) < Number(b.attrs.cy), `${va} above ${vb}`);
      if (va === vb) assert.equal(a.attrs.cy, b.attrs.cy);
    }
  }
});

test('the script writes the same bytes every run, and bench/results.svg is up to date', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'routekey-chart-'));
  try {
    const run = (out: string) => {
      execFileSync(process.execPath, ['--import', 'tsx', 'bench/chart.ts', RESULTS, out], { cwd: ROOT, stdio: 'pipe' });
      return readFileSync(out);
    };
    const first = run(path.join(dir, 'a.svg'));
    assert.deepEqual(run(path.join(dir, 'b.svg')), first);
    assert.deepEqual(readFileSync(path.join(ROOT, 'bench/results.svg')), first, 'bench/results.svg is stale: run npm run bench:chart');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('results.json without figures is refused with the field named', () => {
  assert.throws(() => parseResults('{"rows":[]}'), /expected rows/);
  assert.throws(() => parseResults('{"rows":[{"module":"routekey","rules":1,"ns_thin_stub":1}]}'), /rows\[0\]\.ns_maps_stub/);
});
