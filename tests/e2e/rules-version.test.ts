// The rules version header over the runner (README, "Live rules"): the demo's bootstrap
// (envoy/envoy.yaml, a copy with `versionHeader` and `decisionHeader` added to the filter's
// configuration), its rules server on a copy of envoy/rules.json, two workers, real HTTP on
// 127.0.0.1: every response names the version that routed it, and an edit shows in the next ones.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_CONFIG, DEMO_RULES, startDemo, wasmIsStale, type Demo } from '../../host/app/demo/index.ts';
import { WASM, request, writeDemoOverlay, type Echo } from './harness.ts';

const skip = wasmIsStale() ? 'build/routekey.wasm is missing or older than assembly/ (npm run build)' : false;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the demo with versionHeader: responses say which rules version routed them', { skip, timeout: 60_000 }, () => {
  let dir = '';
  let rules = '';
  let demo: Demo;
  const lines: string[] = [];
  const printed = async (re: RegExp, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (lines.some((l) => re.test(l))) return;
      await sleep(20);
    }
    assert.fail(`no line ${re} within ${ms} ms:\n${lines.join('\n')}`);
  };
  const get = async (env: string) => {
    const r = await request(`http://127.0.0.1:${demo.runner.listeners[0]!.port}/hello`, { headers: { environment: env } });
    return { upstream: r.json<Echo>().upstream, version: r.headers['x-routekey-rules-version'], route: r.headers['x-routekey-route'] };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-version-'));
    rules = join(dir, 'rules.json');
    copyFileSync(DEMO_RULES, rules);
    const original = readFileSync(DEMO_CONFIG, 'utf8');
    const config = original.replace('"rulesService":', '"decisionHeader":"x-routekey-route","versionHeader":"x-routekey-rules-version","rulesService":');
    assert.notEqual(config, original, 'envoy/envoy.yaml has the configuration this test extends');
    writeFileSync(join(dir, 'envoy.yaml'), config);
    const overlay = writeDemoOverlay(join(dir, 'overlay.yaml'), WASM);
    demo = await startDemo({ config: join(dir, 'envoy.yaml'), overlay, rulesFile: rules, workers: 2, print: (l) => lines.push(l) });
    await printed(/worker-1: routekey: rules version 'demo-1' (fetched|adopted)/);
    await printed(/worker-2: routekey: rules version 'demo-1' (fetched|adopted)/);
  });
  after(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('demo-1 on both workers, then demo-2 within a second of the edit', async () => {
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await get('dev'), { upstream: 'dev', version: 'demo-1', route: 'dev' });
      assert.deepEqual(await get('qa'), { upstream: 'default', version: 'demo-1', route: 'default' });
    }
    const original = readFileSync(rules, 'utf8');
    const edited = original.replace('"demo-1"', '"demo-2"').replace('"keys": ["dev"]', '"keys": ["dev", "qa"]');
    assert.notEqual(edited, original, 'envoy/rules.json has the shape this test edits');
    writeFileSync(rules, edited);
    await sleep(1000);
    for (let i = 0; i < 4; i++) {
      assert.deepEqual(await get('qa'), { upstream: 'dev', version: 'demo-2', route: 'dev' }, lines.join('\n'));
    }
  });
});
