// bench/readme.ts: the README's performance tables are what bench/results.json gives (no
// hand-copied figures), a table follows its results, and missing markers or figures are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { README, RESULTS, renderReadme, TABLES } from '../../bench/readme.ts';

const readme = () => readFileSync(README, 'utf8');
const results = () => readFileSync(RESULTS, 'utf8');

test('the committed README tables are the rendering of the committed bench/results.json', () => {
  assert.equal(renderReadme(readme(), results()), readme(), 'run npm run bench:readme');
  for (const name of Object.keys(TABLES)) assert.ok(readme().includes(`<!-- bench:${name} -->`), name);
});

test('a changed figure in results.json changes the README table, and only there', () => {
  const r = JSON.parse(results());
  const row = r.rows.find((x: { rules: number }) => x.rules === 100000);
  row.ns_maps_stub = 123457;
  const live = r.live_rules[0];
  live.adopt_ms = 98765;
  const out = renderReadme(readme(), JSON.stringify(r));
  assert.match(out, /\| 100,000 \| 123457 ± /);
  assert.match(out, /\| 98,765 ms \|/);
  assert.ok(!readme().includes('123457'));
  const outside = (s: string) => s.replace(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g, '');
  assert.equal(outside(out), outside(readme()));
});

test('missing figures or markers are refused with the field named', () => {
  const r = JSON.parse(results());
  delete r.live_rules[0].adopt_ms;
  assert.throws(() => renderReadme(readme(), JSON.stringify(r)), /adopt_ms: expected a number/);
  assert.throws(() => renderReadme('no markers', results()), /bench:per-request/);
  const none = JSON.parse(results());
  delete none.live_rules;
  assert.throws(() => renderReadme(readme(), JSON.stringify(none)), /live_rules: expected rows/);
});
