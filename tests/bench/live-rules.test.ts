// bench/live-rules.ts on a small document: every VM really takes each version (the group throws
// otherwise), the figures are there and consistent, so `npm run bench` cannot silently measure
// nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveRulesRows } from '../../bench/live-rules.ts';
import { filterMissing } from '../deploy/deploy-helpers.ts';

test('live-rules row group: a row per size, holder and adopters timed, memory before ≤ peak ≤ after', async (t) => {
  const missing = filterMissing();
  if (missing) return t.skip(missing);
  const rows = await liveRulesRows([300]);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.equal(r.routes, 300);
  assert.equal(r.vms, 3);
  for (const k of ['doc_bytes', 'holder_ms', 'adopt_ms', 'second_holder_ms', 'second_adopt_ms', 'memory_before_kib', 'memory_peak_kib', 'memory_after_kib']) {
    assert.equal(typeof r[k], 'number', k);
    assert.ok(Number.isFinite(r[k] as number) && (r[k] as number) >= 0, `${k}: ${r[k]}`);
  }
  assert.ok((r.doc_bytes as number) > 300 * 50, 'the document holds the routes');
  assert.ok((r.memory_before_kib as number) <= (r.memory_peak_kib as number));
  assert.ok((r.memory_peak_kib as number) <= (r.memory_after_kib as number));
});
