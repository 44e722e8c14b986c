// The root's periodic duties (assembly/ticks/scheduler.ts) and the root-id fallback (assembly/sdk.ts),
// both routekey's own code rather than the SDK patch's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests } from '../helpers/routekey.ts';

const start = startsClosedAfterTests();
const CONFIG = { key: 'x-env', routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.svc' }] };

test('the log-level duty runs on a 1 s tick: a changed level is read at 1000 ms, not before', async () => {
  let now = 0;
  const p = await start(CONFIG, { clock: () => now });
  const debugLines = () => p.logs.filter((l) => l.level === 'debug' && l.message.includes("took route 'dev'")).length;
  const request = () => {
    const s = p.createStream();
    s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'dev']], true);
    s.complete();
  };
  p.setLogLevel('debug');
  now = 999;
  p.tick();
  request();
  assert.equal(debugLines(), 0, 'no tick is due before 1000 ms');
  now = 1000;
  p.tick();
  request();
  assert.equal(debugLines(), 1, 'the tick at 1000 ms read the new level');
});

test('a root id other than routekey is warned about on every new root context', async () => {
  const p = await start(CONFIG, { rootId: 'my-dispatcher' });
  const warnings = () => p.logs.filter((l) => l.level === 'warn' &&
    l.message === "root id 'my-dispatcher' is not registered; using 'routekey'").length;
  const first = warnings();
  assert.ok(first >= 1, JSON.stringify(p.logs));
  await p.reconfigure(JSON.stringify({ ...CONFIG, routes: [{ name: "dev2", keys: ["dev"], destination: "dev2.svc" }] }));
  assert.ok(warnings() > first, 'the new root context is warned about too');
  const s = p.createStream();
  const out = s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'dev']], true);
  s.complete();
  assert.deepEqual(out.headers.find(([k]) => k === ':authority'), [':authority', 'dev2.svc']);
  assert.deepEqual(p.failures(), []);
});
