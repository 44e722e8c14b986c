// Configuration through the built filter: every case of tests/config-cases.json is accepted or
// refused by the module exactly as the table says, refusals name the field in one critical line,
// and a refused reconfiguration keeps the rules in force.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Plugin } from '../../host/lib/api.ts';
import { ROOT, startRoutekey, request, header } from '../helpers/routekey.ts';

interface Case { name: string; config: string; ok: boolean; error?: string }
const cases: Case[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/config-cases.json'), 'utf8'));

const plugins: Plugin[] = [];
after(async () => { await Promise.all(plugins.map((p) => p.close())); });

test('the case table is not empty and has both outcomes', () => {
  assert.ok(cases.filter((c) => c.ok).length >= 5);
  assert.ok(cases.filter((c) => !c.ok).length >= 20);
});

for (const c of cases) {
  test(`config case: ${c.name}`, async () => {
    let plugin: Plugin | undefined;
    let rejected: any;
    try {
      plugin = await startRoutekey(c.config);
      plugins.push(plugin);
    } catch (e) {
      rejected = e;
    }
    if (c.ok) {
      assert.equal(rejected, undefined, `refused: ${rejected?.logs?.map((l: any) => l.message).join(' | ')}`);
      return;
    }
    assert.ok(rejected, 'expected the configuration to be refused');
    assert.equal(rejected.name, 'ConfigRejectedError', String(rejected));
    const lines = rejected.logs.filter((l: any) => l.level === 'critical');
    assert.equal(lines.length, 1, `one critical line, got ${JSON.stringify(rejected.logs)}`);
    assert.ok(!/trap|unreachable|abort/i.test(JSON.stringify(rejected.logs)), 'refused, not crashed');
    if (c.error !== undefined) assert.equal(lines[0].message, `routekey: invalid configuration: ${c.error}`);
  });
}

test('an empty configuration is refused with a clear message', async () => {
  await assert.rejects(startRoutekey(''), (e: any) => {
    assert.match(e.logs.map((l: any) => l.message).join('\n'), /routekey: invalid configuration: configuration: empty/);
    return true;
  });
});

test('a refused reconfiguration keeps the rules in force; a good one replaces them', async () => {
  const p = await startRoutekey({ key: 'x-env', routes: [{ name: 'a', keys: ['a'], destination: 'a.svc' }] });
  plugins.push(p);
  await assert.rejects(p.reconfigure('{"key": "x-env", "routes": [{"name": "a"}]}'));
  let r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'a']]);
  assert.equal(header(r.req.headers, ':authority'), 'a.svc');

  await p.reconfigure(JSON.stringify({ key: 'x-env', routes: [{ name: 'b', keys: ['a'], destination: 'b.svc' }] }));
  r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'a']]);
  assert.equal(header(r.req.headers, ':authority'), 'b.svc');
});
