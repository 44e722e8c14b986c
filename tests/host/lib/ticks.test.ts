// Ticks: one timer per root context per worker VM; real (unref'd) timers, or with an injected
// clock none, plus Plugin.tick() / fireTicks().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guest, Strings } from '../wat.ts';
import { start } from '../harness.ts';

async function tickModule(periodMs: number, stopAfterFirst = false): Promise<Uint8Array> {
  const s = new Strings();
  return guest({
    strings: s,
    body: `
      (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
      (func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $proxy_set_tick_period_milliseconds (i32.const ${periodMs})))
        (i32.const 1))
      (func (export "proxy_on_tick") (param i32)
        (call $log_str ${s.ref('tick')})
        ${stopAfterFirst ? '(drop (call $proxy_set_tick_period_milliseconds (i32.const 0)))' : ''})`,
  });
}

const ticksBy = (logs: Array<{ vm: string; message: string }>, vm: string) =>
  logs.filter((l) => l.vm === vm && l.message === 'tick').length;

/** A clock the test moves by hand (PluginOptions.clock: no real timers are armed). */
function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

test('every worker VM has its own timer; tick() fires elapsed periods; close() stops them', async () => {
  const clock = manualClock();
  const p = await start(await tickModule(1000), { workers: 2, clock: clock.now });
  assert.equal(ticksBy(p.logs, 'canary'), 0, 'the canary is gone before it could tick');
  clock.advance(999);
  p.tick();
  assert.equal(p.logs.length, 0, 'not yet elapsed');
  clock.advance(1);
  p.tick();
  assert.deepEqual([ticksBy(p.logs, 'worker-1'), ticksBy(p.logs, 'worker-2')], [1, 1]);
  p.tick();
  assert.equal(p.logs.length, 2, 'the period restarts at each tick');
  clock.advance(1000);
  p.tick();
  assert.deepEqual([ticksBy(p.logs, 'worker-1'), ticksBy(p.logs, 'worker-2')], [2, 2]);
  await p.close();
  clock.advance(5000);
  p.tick();
  assert.equal(p.fireTicks(), 0);
  assert.equal(p.logs.length, 4);
});

test('Plugin.tick() fires only elapsed periods; fireTicks() fires all armed; period 0 disarms', async () => {
  const p = await start(await tickModule(60_000, true), { workers: 2 });
  p.tick();
  assert.equal(p.logs.length, 0);
  assert.equal(p.fireTicks(), 2);
  assert.equal(p.logs.length, 2);
  assert.equal(p.fireTicks(), 0);
  await p.close();
});

test('the injected clock is the guest\'s clock too', async () => {
  const s = new Strings();
  const body = `
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32)
      (drop (call $proxy_get_current_time_nanoseconds (i32.const 512)))
      (call $log_u32 (i32.wrap_i64 (i64.div_u (i64.load (i32.const 512)) (i64.const 1000000000))))
      (i32.const 1))`;
  const p = await start(await guest({ body, strings: s }), { workers: 1, clock: () => 1_234_567_000 });
  assert.deepEqual(p.logs.map((l) => [l.vm, l.message]), [['canary', '1234567'], ['worker-1', '1234567']]);
  await p.close();
});
