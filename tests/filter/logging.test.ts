// What an operator sees at debug level (issue 12): one line per decision from the filter, nothing
// per stream or per tick from the SDK (its own lines are at trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, startsClosedAfterTests } from '../helpers/routekey.ts';

const start = startsClosedAfterTests();
const CONFIG = { key: 'environment', routes: [{ name: 'dev', keys: ['dev'], destination: 'dev.demo' }], default: { destination: 'default.demo' } };
const REQUEST: Array<[string, string]> = [[':method', 'GET'], [':path', '/'], [':authority', 'a'], ['environment', 'dev']];

test('at debug, a routed request logs exactly one line, the decision; ticks log nothing', async () => {
  let now = 1_000_000;
  const p = await start(CONFIG, { logLevel: 'debug', clock: () => now });
  const before = p.logs.length;
  request(p, REQUEST);
  const lines = p.logs.slice(before).map((l) => `${l.level} ${l.message}`);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  assert.match(lines[0]!, /^debug routekey: stream \d+ took route 'dev'$/);
  const afterRequest = p.logs.length;
  now += 5_000;
  p.fireTicks();
  assert.deepEqual(p.logs.slice(afterRequest).map((l) => l.message), [], 'ticks are silent at debug');
});

test('at trace, the SDK\'s own lines come back', async () => {
  const p = await start(CONFIG, { logLevel: 'trace' });
  const before = p.logs.length;
  request(p, REQUEST);
  const lines = p.logs.slice(before);
  assert.ok(lines.some((l) => l.level === 'trace'), JSON.stringify(lines));
  assert.equal(lines.filter((l) => l.level === 'debug').length, 1, 'still one decision line');
});
