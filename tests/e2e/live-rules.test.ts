// Live rules under the demo (host/app/demo/index.ts: envoy/envoy.yaml, the runner, the upstreams
// and the rules server on the routekey-rules cluster), in process over 127.0.0.1, on a copy of
// envoy/rules.json: an edit re-routes the next request within a second, with no restart; an edit
// the filter refuses leaves the routing as it was. Then the rules server as a process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_RULES, startDemo, wasmIsStale, type Demo } from '../../host/app/demo/index.ts';
import { WASM, request, writeDemoOverlay, type Echo } from './harness.ts';
import { run } from './process.ts';

const skip = wasmIsStale() ? 'build/routekey.wasm is missing or older than assembly/ (npm run build)' : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the demo with live rules: edit envoy/rules.json (a copy), the next request follows', { skip, timeout: 60_000 }, () => {
  let dir = '';
  let rules = '';
  let demo: Demo;
  const lines: string[] = [];
  /** Resolves when a printed line matches (bounded). */
  const printed = async (re: RegExp, from = 0, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (lines.slice(from).some((l) => re.test(l))) return;
      await sleep(20);
    }
    assert.fail(`no line ${re} within ${ms} ms:\n${lines.join('\n')}`);
  };
  const upstreamOf = async (env: string) => {
    const l = demo.runner.listeners[0]!;
    return (await request(`http://127.0.0.1:${l.port}/hello`, { headers: { environment: env } })).json<Echo>();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-live-'));
    rules = join(dir, 'rules.json');
    copyFileSync(DEMO_RULES, rules);
    const overlay = writeDemoOverlay(join(dir, 'overlay.yaml'), WASM);
    demo = await startDemo({ overlay, rulesFile: rules, workers: 2, print: (l) => lines.push(l) });
    // Both workers run the served document (not only the configuration's inline routes).
    await printed(/worker-1: routekey: rules version 'demo-1' (fetched|adopted)/);
    await printed(/worker-2: routekey: rules version 'demo-1' (fetched|adopted)/);
  });
  after(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the demo says which file to edit and where it is served', () => {
    assert.equal(demo.rules?.file, rules);
    assert.match(demo.rules!.url, /^http:\/\/127\.0\.0\.1:\d+\/rules\.json$/);
    assert.deepEqual(demo.upstreams.map((u) => u.name).sort(), ['default', 'dev'], 'no demo upstream on the rules cluster');
  });

  test('environment: qa goes to upstream dev within a second of the edit; a refused edit changes nothing', async () => {
    assert.equal((await upstreamOf('qa')).upstream, 'default');
    assert.equal((await upstreamOf('dev')).upstream, 'dev');

    const original = readFileSync(rules, 'utf8');
    const edited = original.replace('"demo-1"', '"demo-2"').replace('"keys": ["dev"]', '"keys": ["dev", "qa"]');
    assert.notEqual(edited, original, 'envoy/rules.json has the shape this test edits');
    const t0 = Date.now();
    writeFileSync(rules, edited);
    await sleep(1000);
    // Every request after that second, whichever worker serves it.
    for (let i = 0; i < 4; i++) {
      const echo = await upstreamOf('qa');
      assert.equal(echo.upstream, 'dev', `request ${i} after ${Date.now() - t0} ms:\n${lines.join('\n')}`);
      assert.equal(echo.headers.dispatched, 'true');
    }
    assert.ok(lines.some((l) => /published .*rules\.json version 'demo-2'/.test(l)));

    // Refused by the filter's parser (port 0): logged by the rules server, the routing stays.
    const from = lines.length;
    writeFileSync(rules, edited.replace('"demo-2"', '"demo-3"').replace('"http://dev.demo"', '"http://dev.demo:0"'));
    await printed(/refused .*rules\.json: routes\[0\]\.destination: expected a port from 1 to 65535.*still serving version 'demo-2'/, from);
    await sleep(500);
    for (let i = 0; i < 4; i++) assert.equal((await upstreamOf('qa')).upstream, 'dev');
    assert.ok(!lines.slice(from).some((l) => /rules version 'demo-3'/.test(l)), 'no worker took demo-3');
    // And not JSON at all: the same.
    const from2 = lines.length;
    writeFileSync(rules, '{"version": "demo-4", "routes": [');
    await printed(/refused .*rules\.json: .*still serving version 'demo-2'/, from2);
    assert.equal((await upstreamOf('qa')).upstream, 'dev');
    assert.equal((await upstreamOf('other')).upstream, 'default');
  });
});

test('routekey rules-server as a process: prints where each file is served, long-polls, republishes an edit, stops on SIGTERM', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routekey-rules-cli-'));
  try {
    const file = join(dir, 'team-a.json');
    writeFileSync(file, JSON.stringify({ version: 'a1', routes: [] }));
    const p = run(['bin/routekey.js', 'rules-server', file, '--port', '0']);
    try {
      const [, port] = await p.waitFor(/routekey rules-server: .*team-a\.json at http:\/\/127\.0\.0\.1:(\d+)\/team-a\.json/);
      assert.match(p.out(), /published .*team-a\.json version 'a1' etag "[^"]+"/);
      const url = `http://127.0.0.1:${port}/team-a.json`;
      const first = await fetch(url);
      const etag = first.headers.get('etag')!;
      const poll = fetch(url, { headers: { 'if-none-match': etag, prefer: 'wait=20' } });
      await sleep(200);
      const t0 = Date.now();
      writeFileSync(file, JSON.stringify({ version: 'a2', routes: [] }));
      const r = await poll;
      assert.equal(r.status, 200);
      assert.equal((await r.json()).version, 'a2');
      assert.ok(Date.now() - t0 < 1000, `answered ${Date.now() - t0} ms after the edit`);
      assert.equal(await p.stop(), 0, p.out());
    } finally {
      await p.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
