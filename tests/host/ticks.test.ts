// Ticks: one timer per root context per worker VM; real (unref'd) timers plus Plugin.tick().

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guest, Strings } from './wat.ts';
import { start } from './harness.ts';

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

test('every worker VM runs its own timer; close() stops them', async () => {
  const p = await start(await tickModule(20), { workers: 2 });
  await new Promise((r) => setTimeout(r, 150));
  const w1 = ticksBy(p.logs, 'worker-1');
  const w2 = ticksBy(p.logs, 'worker-2');
  assert.ok(w1 >= 2 && w2 >= 2, `worker-1 ${w1}, worker-2 ${w2}`);
  assert.equal(ticksBy(p.logs, 'canary'), 0, 'the canary is gone before it could tick');
  await p.close();
  const after = p.logs.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(p.logs.length, after);
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
