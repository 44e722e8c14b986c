// The user's path with their own rules (issue 12): a JSON rules file and two local services,
// `routekey run --rules … --upstream …` over real 127.0.0.1 sockets, and the envoy.yaml from
// `--print-envoy` served by `routekey run --config` with the same outcome.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Upstream } from '../../host/app/demo/index.ts';
import { REPO_ROOT, WASM, request, realWasmAvailable, startUpstream } from './harness.ts';
import { run } from './process.ts';

const skip = realWasmAvailable() ? false : `${WASM} is missing (npm run build)`;

describe('routekey run --rules (processes, real filter)', { skip, timeout: 60_000 }, () => {
  let dir = '';
  let dev: Upstream;
  let dflt: Upstream;
  let flags: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-rules-e2e-'));
    dev = await startUpstream({ name: 'dev', port: 0, host: '127.0.0.1' });
    dflt = await startUpstream({ name: 'default', port: 0, host: '127.0.0.1' });
    flags = ['--upstream', `dev=127.0.0.1:${dev.port}`, '--upstream', `default=127.0.0.1:${dflt.port}`, '--port', '0', '--admin-port', '0'];
  });
  after(async () => {
    await Promise.allSettled([dev?.close(), dflt?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** The three kinds of request examples/rules.json knows, through the listener at `url`. */
  async function checkRouting(url: string) {
    const toDev = await request(`${url}/hello`, { headers: { environment: 'development' } });
    assert.equal(toDev.status, 200);
    assert.equal(toDev.json().upstream, 'dev');
    assert.equal(toDev.json<{ headers: Record<string, string> }>().headers.dispatched, 'true');
    assert.equal(toDev.headers['x-routekey-route'], 'dev');
    const plain = await request(`${url}/hello`);
    assert.equal(plain.json().upstream, 'default');
    assert.equal(plain.json<{ headers: Record<string, string> }>().headers.host, 'default.demo');
    assert.equal(plain.headers['x-routekey-route'], 'default');
    // A route that only sets a header keeps the client's Host: the * virtual host, to default.
    const canary = await request(`${url}/x`, { headers: { environment: 'canary' } });
    assert.equal(canary.json().upstream, 'default');
    assert.equal(canary.json<{ headers: Record<string, string> }>().headers['x-version'], 'canary');
  }

  test('one command: rules + two upstreams → routed requests; it prints where it listens and a curl per route', async () => {
    const p = run(['bin/routekey.js', 'run', '--rules', 'examples/rules.json', ...flags, '--workers', '1']);
    try {
      const [, port] = await p.waitFor(/routekey: listener main on 127\.0\.0\.1:(\d+)/);
      await p.waitFor(/routekey: admin on 127\.0\.0\.1:\d+/);
      await p.waitFor(/routekey: default → default\.demo: curl -s http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(p.out(), new RegExp(`routekey: dev → dev\\.demo: curl -s -H 'environment: dev' http://127\\.0\\.0\\.1:${port}/`));
      await checkRouting(`http://127.0.0.1:${port}`);
    } finally {
      assert.equal(await p.stop(), 0, p.out());
    }
  });

  test('--print-envoy → routekey run --config: the printed envoy.yaml loads unchanged and routes the same', async () => {
    const yaml = execFileSync(process.execPath, ['bin/routekey.js', 'run', '--rules', 'examples/rules.json', ...flags, '--print-envoy'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const file = join(dir, 'envoy.yaml');
    writeFileSync(file, yaml);
    const p = run(['bin/routekey.js', 'run', '--config', file, '--workers', '1']);
    try {
      const [, port] = await p.waitFor(/routekey: listener main on 127\.0\.0\.1:(\d+)/);
      await p.waitFor(/routekey: admin on/);
      assert.doesNotMatch(p.out(), /warning/);
      await checkRouting(`http://127.0.0.1:${port}`);
    } finally {
      assert.equal(await p.stop(), 0, p.out());
    }
  });
});
