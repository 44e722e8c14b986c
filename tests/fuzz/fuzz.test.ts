// The fuzzer (fuzz/, `npm run fuzz`): its starting points are valid, its checks catch what they
// name, a planted bug fails the run and replays from its seed and case, and a short run over
// the built module finds nothing beyond the known findings (fuzz/invariants.ts KNOWN, listed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtWasm, startRoutekey } from '../helpers/routekey.ts';
import { fuzz } from '../../fuzz/engine.ts';
import { CONFIGS, DOCS } from '../../fuzz/corpus.ts';
import { INVARIANTS, KNOWN, checkAccepted, checkSent, validAuthority } from '../../fuzz/invariants.ts';

const SEED = 20261201;

test('every starting configuration of the fuzzer is accepted by the filter', async () => {
  for (const c of CONFIGS) {
    const p = await startRoutekey(c as object, { callouts: 'manual', clock: () => 0 });
    await p.close();
  }
  const docs = DOCS.map((d) => ({ key: 'x-env', ...(d as object), version: undefined }));
  for (const d of docs) await (await startRoutekey(d)).close();
});

test('the invariant checks: authorities, controls, case duplicates, destinations, what is sent', () => {
  for (const bad of ['', 'a b', '//evil.com', 'x@evil:1:2', 'evil.com/../x', 'http://a.svc:8080:9090', '-', '_', 'a..b', 'a.svc:0', 'a.svc:65536', '[::1', '1.2.3']) {
    assert.equal(validAuthority(bad), false, JSON.stringify(bad));
  }
  for (const good of ['a.svc', 'a.svc:8080', 'my_host.svc', '10.0.0.1:1', '[::1]:80', 'x-1.example']) assert.equal(validAuthority(good), true, good);
  const ids = (doc: unknown) => checkAccepted(doc).map((f) => f.id).sort();
  assert.deepEqual(ids({ routes: [{ requestHeaders: { set: { Host: 'a b' } } }] }), ['CFG-HOST-AUTHORITY']);
  assert.deepEqual(ids({ routes: [{ requestHeaders: { set: { 'x-a': 'a\r\nb' } } }] }), ['CFG-VALUE-CRLFNUL']);
  assert.deepEqual(ids({ default: { requestHeaders: { add: { 'x-a': 'a\u0001' } } } }), ['CFG-VALUE-CTL']);
  assert.deepEqual(ids({ routes: [{ requestHeaders: { set: { Host: 'a', host: 'b' } } }] }), ['CFG-NAME-DUP-CASE']);
  assert.deepEqual(ids({ routes: [{ destination: 'http://a//evil.com' }, { destination: '-' }] }), ['CFG-DEST-HOST', 'CFG-DEST-PATH']);
  assert.deepEqual(ids({ rewrites: { dev: { patch: [{ key: 'Host', val: 'x@evil:1:2' }] } } }), ['CFG-HOST-AUTHORITY']);
  assert.deepEqual(ids(CONFIGS[0]), [], 'a valid configuration breaks nothing');
  const sent = checkSent([[':authority', 'app'], [':path', '/a\r\n']], [[':authority', 'a b'], [':path', '/api/a\r\n'], ['x-a', 'v\n']]);
  assert.deepEqual(sent.map((f) => f.id).sort(), ['OUT-AUTHORITY', 'OUT-CRLFNUL'], 'the client path is the client\'s; x-a is the filter\'s');
  for (const id of KNOWN) assert.ok(INVARIANTS.some((i) => i.id === id), id);
});

test('a planted bug fails the run with its seed and case, and the case replays alone', async () => {
  const wasm = builtWasm();
  // The plant: an invariant saying every accepted configuration with a decisionHeader is wrong.
  const extraCheck = (doc: unknown) =>
    typeof doc === 'object' && doc !== null && 'decisionHeader' in doc ? [{ id: 'PLANTED', detail: 'decisionHeader accepted' }] : [];
  const run = await fuzz({ wasm, seed: SEED, cases: 400, allow: KNOWN, extraCheck });
  const planted = run.failures.filter((f) => f.id === 'PLANTED');
  assert.ok(planted.length > 0, 'the planted invariant is found');
  assert.deepEqual(run.failures.filter((f) => f.id !== 'PLANTED'), []);
  const first = planted[0]!;
  assert.equal(first.seed, SEED);
  const replay = await fuzz({ wasm, seed: SEED, cases: 0, only: first.caseIndex, allow: KNOWN, extraCheck });
  assert.deepEqual(replay.failures.map((f) => [f.id, f.caseIndex, f.detail]), planted.filter((f) => f.caseIndex === first.caseIndex).map((f) => [f.id, f.caseIndex, f.detail]));
  const allowed = await fuzz({ wasm, seed: SEED, cases: 0, only: first.caseIndex, allow: [...KNOWN, 'PLANTED'], extraCheck });
  assert.deepEqual(allowed.failures, [], 'an allowed finding does not fail the run');
  assert.ok(allowed.skipped.PLANTED!.count > 0, 'but it is listed');
});

test('a short fuzz run (700 cases, ~2 s, at most 5 s) finds nothing but the known findings', async (t) => {
  const run = await fuzz({ wasm: builtWasm(), seed: SEED, cases: 700, timeMs: 5000, allow: KNOWN });
  t.diagnostic(`${run.cases} cases (${JSON.stringify(run.byKind)}), ${run.accepted} accepted, ${run.refused} refused, ${run.requests} requests, ${run.deliveries} callout responses, ${run.durationMs} ms`);
  for (const [id, s] of Object.entries(run.skipped)) t.diagnostic(`known ${id}: ${s.count}, first seed ${s.first.seed} case ${s.first.caseIndex}`);
  assert.ok(run.cases >= 300, `${run.cases} cases`);
  assert.ok(run.accepted > 20 && run.refused > 20 && run.deliveries > 50, 'every case kind did work');
  assert.deepEqual(run.failures.map((f) => `${f.id} seed ${f.seed} case ${f.caseIndex}: ${f.detail}`), []);
});
