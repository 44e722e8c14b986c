// Live rules with several worker VMs of one proxy (Envoy: one VM per worker thread, shared data
// process-wide): one fetch per period between them (the lease), every worker serving the same
// version afterwards (publish + adopt), a holder that stops is taken over, and memory stays flat
// over hundreds of swaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests } from '../helpers/routekey.ts';
import { createHostProcess } from '../../host/lib/index.ts';
import type { Plugin } from '../../host/lib/api.ts';
import { Clock, liveConfig, manual, advance, routeOf, ok200, rulesDoc, metric } from '../helpers/rules.ts';

const start = startsClosedAfterTests();

/** Answers every pending callout with `answer(n)` (n counts all answered so far); returns how many. */
function answerAll(p: Plugin, answer: (n: number) => Parameters<Plugin['deliverCallout']>[1], counter: { n: number }): number {
  const pending = p.pendingCallouts();
  for (const c of pending) p.deliverCallout(c.token, answer(counter.n++), c.vm);
  return pending.length;
}

/** Routes one request per worker (streams go round-robin) and returns where each went. */
function routesOnEveryWorker(p: Plugin, workers: number, key: string): string[] {
  return Array.from({ length: workers }, () => routeOf(p, key)!);
}

for (const workers of [2, 4]) {
  test(`${workers} workers: about one fetch per period between them, all serving the same version after each change`, async () => {
    const clock = new Clock();
    const p = await start(liveConfig(), manual(clock, { workers }));
    assert.equal(p.workerNames().length, workers);
    const counter = { n: 0 };
    let fetches = 0;
    const vms = new Set<string>();
    // 20 periods; the document changes every 5th fetch.
    for (let step = 0; step < 80; step++) {
      advance(p, clock, 250);
      for (const c of p.pendingCallouts()) vms.add(c.vm);
      fetches += answerAll(p, (n) => (n % 5 === 0 ? ok200(rulesDoc(`v${n}`, { dev: `v${n}.svc` }), `"e${n}"`) : { status: 304 }), counter);
      assert.ok(p.pendingCallouts().length === 0);
    }
    assert.ok(fetches >= 19 && fetches <= 21, `about one fetch per period for the proxy, not ${workers}: ${fetches} in 20 periods`);
    assert.equal(vms.size, 1, `one worker fetched: ${[...vms].join(', ')}`);
    assert.equal(metric(p, 'routekey.rules.fetch.attempt'), fetches);
    // The last change (fetch 15) has reached every worker within a tick.
    advance(p, clock, 250);
    assert.deepEqual(routesOnEveryWorker(p, workers, 'dev'), Array(workers).fill('v15.svc'));
    assert.equal(metric(p, 'routekey.rules.generation'), 4);
    assert.deepEqual(p.failures(), []);
  });
}

test('the other workers adopt a published document within a tick, parsing it only when the generation moved', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock, { workers: 3 }));
  advance(p, clock, 250);
  const [c] = p.pendingCallouts();
  p.deliverCallout(c!.token, ok200(rulesDoc('v1', { dev: 'v1.svc' }), '"e1"'), c!.vm);
  // The holder swapped at once; the others on their next tick.
  advance(p, clock, 250);
  assert.deepEqual(routesOnEveryWorker(p, 3, 'dev'), ['v1.svc', 'v1.svc', 'v1.svc']);
  const adopted = p.logs.filter((l) => l.message === "routekey: rules version 'v1' adopted (1 route, no default)");
  assert.equal(adopted.length, 2, 'each other worker adopted it once');
  // Quiet ticks read `gen` only: no document is read again.
  const before = new Map(p.workerNames().map((vm) => [vm, p.hostCalls(vm).length]));
  advance(p, clock, 500);
  for (const vm of p.workerNames()) {
    const calls = p.hostCalls(vm).slice(before.get(vm)!);
    const runs = calls.filter((h) => h.name === 'proxy_get_current_time_nanoseconds').length;
    assert.equal(runs, 2, `${vm}: two runs in 500 ms`);
    assert.equal(calls.filter((h) => h.name === 'proxy_get_shared_data').length, runs * 2, `${vm}: per run gen and the lease, no document`);
    assert.equal(calls.filter((h) => h.name === 'proxy_set_shared_data').length, 0, `${vm}: nothing written while the lease is fresh`);
  }
});

test('a holder that stops renewing is taken over after 3 periods; the new holder carries the ETag on', async () => {
  const clock = new Clock();
  const process = createHostProcess();
  const a = await start(liveConfig(), manual(clock, { process }));
  const b = await start(liveConfig(), manual(clock, { process }));
  advance(a, clock, 250);
  b.tick();
  assert.equal(a.pendingCallouts().length, 1, 'a took the lease');
  assert.equal(b.pendingCallouts().length, 0);
  const [c] = a.pendingCallouts();
  a.deliverCallout(c!.token, ok200(rulesDoc('v1', { dev: 'v1.svc' }), '"e1"'), c!.vm);
  b.tick();
  // a stops (no more ticks): b waits out the lease, then fetches.
  let waited = 0;
  while (b.pendingCallouts().length === 0 && waited < 10000) {
    advance(b, clock, 250);
    waited += 250;
  }
  assert.ok(waited >= 2750 && waited <= 3250, `taken over after about 3 periods, not ${waited} ms`);
  const [taken] = b.pendingCallouts();
  assert.equal(taken!.headers.find(([k]) => k === 'if-none-match')?.[1], '"e1"');
  assert.equal(routeOf(b, 'dev'), 'v1.svc', 'b adopted v1 from shared data meanwhile');
  // a comes back: b holds the lease now, a does not fetch.
  b.deliverCallout(taken!.token, { status: 304 }, taken!.vm);
  advance(a, clock, 1000);
  assert.equal(a.pendingCallouts().length, 0);
});

test('a reconfigured root hands its lease back: the new configuration fetches on its first tick', async () => {
  const clock = new Clock();
  const p = await start(liveConfig(), manual(clock));
  advance(p, clock, 250);
  const [c] = p.pendingCallouts();
  p.deliverCallout(c!.token, ok200(rulesDoc('v1', { dev: 'v1.svc' })), c!.vm);
  await p.reconfigure(JSON.stringify(liveConfig({}, { decisionHeader: 'x-route' })));
  advance(p, clock, 250);
  assert.equal(p.pendingCallouts().length, 1, 'no 3-period gap');
  assert.equal(routeOf(p, 'dev'), 'v1.svc', 'and it adopted the published document at once');
});

test('memory stays flat over 220 swaps of a 1000-route document (holder and adopter)', async () => {
  const clock = new Clock();
  const p = await start(liveConfig({ maxBytes: 1 << 20 }), manual(clock, { workers: 2, recordHostCalls: false }));
  const doc = (v: number) => JSON.stringify({
    version: `v${v}`,
    routes: Array.from({ length: 1000 }, (_, i) => ({ name: `r${i}`, keys: [`k${i}-${v % 7}`], destination: `s${i}.svc:8080` })),
  });
  const sizes: Array<[number, number]> = [];
  for (let v = 0; v < 220; v++) {
    advance(p, clock, 1000);
    for (const c of p.pendingCallouts()) p.deliverCallout(c.token, ok200(doc(v)), c.vm);
    if (v === 20 || v === 219) sizes.push([p.memoryBytes('worker-1'), p.memoryBytes('worker-2')]);
  }
  advance(p, clock, 250);
  assert.equal(metric(p, 'routekey.rules.fetch.success'), 220);
  assert.equal(routeOf(p, `k5-${219 % 7}`), 's5.svc:8080');
  assert.equal(routeOf(p, `k5-${219 % 7}`), 's5.svc:8080');
  assert.deepEqual(sizes[1], sizes[0], `memory after warm-up ${sizes[0]} and after 220 swaps ${sizes[1]}`);
  assert.deepEqual(p.failures(), []);
});
