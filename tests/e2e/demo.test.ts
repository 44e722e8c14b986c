// The product path end to end with the real filter (build/routekey.wasm through host/lib/plugin.ts):
// the shipped envoy/envoy.yaml served by the runner, then the CLI's `run` and `demo` commands as
// processes. Set ROUTEKEY_WASM to test another build of the module.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmIsStale } from '../../host/app/demo/index.ts';
import { run } from './process.ts';
import { WASM, request, realWasmAvailable, startBed, startUpstream, writeDemoOverlay, type Bed, type Echo } from './harness.ts';

const wasm = process.env.ROUTEKEY_WASM ?? WASM;
const skip = realWasmAvailable() ? false : `${wasm} is missing (npm run build)`;

describe('envoy/envoy.yaml through the runner, real filter', { skip, timeout: 30_000 }, () => {
  let bed: Bed;
  before(async () => {
    bed = await startBed({ upstreams: ['default', 'dev'] });
  });
  after(async () => bed?.close());

  test('environment: dev reaches upstream dev with dispatched: true', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: 'dev' } });
    assert.equal(r.status, 200);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, 'dev');
    assert.equal(echo.headers.host, 'dev.demo');
    assert.equal(echo.headers.dispatched, 'true');
    assert.equal(echo.path, '/hello');
  });

  test('no header reaches upstream default', async () => {
    const r = await request(bed.url('/hello'));
    assert.equal(r.status, 200);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, 'default');
    assert.equal(echo.headers.host, 'default.demo');
    assert.equal(echo.headers.dispatched, undefined);
  });

  test('an unknown key takes the default', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: 'staging' } });
    assert.equal(r.json<Echo>().upstream, 'default');
  });

  test('a POST body goes through whole', async () => {
    const body = Buffer.alloc(256 * 1024, 'z');
    const r = await request(bed.url('/upload'), { method: 'POST', headers: { environment: 'dev' }, body });
    assert.equal(r.status, 200);
    assert.deepEqual([r.json<Echo>().upstream, r.json<Echo>().bodyBytes], ['dev', body.length]);
  });

  test('the filter\'s counters in /stats and /stats/prometheus', async () => {
    // Its own requests: one routed to dev, one to the default, so the counters do not depend on
    // which other tests ran first.
    assert.equal((await request(bed.url('/hello'), { headers: { environment: 'dev' } })).json<Echo>().upstream, 'dev');
    assert.equal((await request(bed.url('/hello'))).json<Echo>().upstream, 'default');
    // The filter flushes its counts on a 1 s tick: wait up to two ticks for them.
    let stats = '';
    for (let i = 0; i < 20; i++) {
      stats = (await request(bed.admin('/stats'))).body.toString();
      if (/^wasmcustom\.routekey\.routed\.route\.dev: [1-9]\d*$/m.test(stats) && /^wasmcustom\.routekey\.default: [1-9]\d*$/m.test(stats)) break;
      await new Promise((done) => setTimeout(done, 100));
    }
    assert.match(stats, /^wasmcustom\.routekey\.routed\.route\.dev: [1-9]\d*$/m);
    const prom = (await request(bed.admin('/stats/prometheus'))).body.toString();
    assert.match(prom, /^# TYPE routekey_routed counter$/m);
    assert.match(prom, /^routekey_routed\{route="dev"\} [1-9]\d*$/m);
    assert.match(prom, /^routekey_default [1-9]\d*$/m);
    // The key came from the `environment` header source: a key_source label (envoy.yaml's stats_tags).
    assert.match(prom, /^routekey_keyed\{key_source="header\.environment"\} [1-9]\d*$/m);
  });

  test('/ready and /logging', async () => {
    assert.equal((await request(bed.admin('/ready'))).body.toString(), 'LIVE\n');
    const r = await request(bed.admin('/logging?level=debug'), { method: 'POST' });
    assert.equal(r.body.toString(), 'active loggers:\n  wasm: debug\n');
    await request(bed.admin('/logging?level=info'), { method: 'POST' });
  });
});

describe('upstream down, real filter', { skip, timeout: 30_000 }, () => {
  test('→ 503 with Envoy\'s body', async () => {
    const bed = await startBed({ upstreams: ['default'], deadClusters: ['dev'] });
    try {
      const r = await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      assert.equal(r.status, 503);
      assert.equal(r.body.toString(), 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      assert.equal((await request(bed.url('/hello'))).status, 200, 'the other cluster still answers');
    } finally {
      await bed.close();
    }
  });
});

// ---- the CLI as a process

describe('routekey run / demo (processes)', { skip, timeout: 60_000 }, () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-e2e-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('run --config envoy/envoy.yaml --overlay: serves, then stops on SIGTERM', async () => {
    const dev = await startUpstream({ name: 'dev' });
    const dflt = await startUpstream({ name: 'default' });
    const overlay = join(dir, 'run.yaml');
    writeFileSync(overlay, [
      'listener: {address: 127.0.0.1, port: 0}',
      'admin: {address: 127.0.0.1, port: 0}',
      `clusters: {default: {address: 127.0.0.1, port: ${dflt.port}}, dev: {address: 127.0.0.1, port: ${dev.port}}}`,
      `wasm: {filename: ${JSON.stringify(wasm)}}`,
    ].join('\n'));
    const p = run(['bin/routekey.js', 'run', '--config', 'envoy/envoy.yaml', '--overlay', overlay, '--workers', '1']);
    try {
      const [, port] = await p.waitFor(/listener main on 127\.0\.0\.1:(\d+)/);
      const [, adminPort] = await p.waitFor(/admin on 127\.0\.0\.1:(\d+)/);
      const r = await request(`http://127.0.0.1:${port}/hello`, { headers: { environment: 'dev' } });
      assert.equal(r.json<Echo>().upstream, 'dev');
      assert.equal((await request(`http://127.0.0.1:${adminPort}/ready`)).status, 200);
      assert.equal(await p.stop(), 0, p.out());
    } finally {
      await p.stop();
      await dev.close();
      await dflt.close();
    }
  });

  test('run warns in one line when admin is not on loopback (as the bootstrap or overlay says)', async () => {
    const overlay = join(dir, 'open-admin.yaml');
    writeFileSync(overlay, [
      'listener: {address: 127.0.0.1, port: 0}',
      'admin: {address: 0.0.0.0, port: 0}',
      `wasm: {filename: ${JSON.stringify(wasm)}}`,
    ].join('\n'));
    const p = run(['bin/routekey.js', 'run', '--config', 'envoy/envoy.yaml', '--overlay', overlay, '--workers', '1']);
    try {
      const [line] = await p.waitFor(/routekey: warning: admin listens on 0\.0\.0\.0:\d+ .*\n/);
      assert.match(line, /not on loopback/);
      assert.equal(await p.stop(), 0, p.out());
      assert.equal(p.out().match(/warning: admin/g)?.length, 1);
    } finally {
      await p.stop();
    }
  });

  test('run refuses a bootstrap it cannot honour, naming the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'static_resources: {listeners: [], clusters: []}\ndynamic_resources: {}\n');
    const p = run(['bin/routekey.js', 'run', '--config', bad]);
    const code = await p.wait();
    assert.equal(code, 1);
    assert.match(p.out(), /routekey: dynamic_resources: xDS \(dynamic_resources\) is not supported/);
  });

  test('demo: prints what to try, routes, stops on SIGTERM', { skip: wasmIsStale() ? 'build/routekey.wasm is older than assembly/ (npm run build)' : false }, async () => {
    // The demo's rules server goes on routekey-rules (envoy/envoy.yaml's rulesService cluster).
    const overlay = writeDemoOverlay(join(dir, 'demo.yaml'), wasm);
    const p = run(['--import', 'tsx', 'host/app/cli.ts', 'demo', '--overlay', overlay]);
    try {
      const [, port] = await p.waitFor(/listener http:\/\/127\.0\.0\.1:(\d+)/);
      await p.waitFor(new RegExp(`curl -s -H 'environment: dev' localhost:${port}/hello`));
      await p.waitFor(new RegExp(`curl -s localhost:${port}/hello`));
      const r = await request(`http://127.0.0.1:${port}/hello`, { headers: { environment: 'dev' } });
      assert.equal(r.json<Echo>().upstream, 'dev');
      assert.equal(r.json<Echo>().headers.dispatched, 'true');
      assert.equal((await request(`http://127.0.0.1:${port}/hello`)).json<Echo>().upstream, 'default');
      assert.equal(await p.stop(), 0, p.out());
    } finally {
      await p.stop();
    }
  });

  test('validate is delegated to host/app/validate.ts', async () => {
    const file = join(dir, 'routekey.json');
    writeFileSync(file, '{"key":"environment","destination":"http://default.demo","rewrites":{"dev":{"destination":"http://dev.demo"}}}');
    const p = run(['bin/routekey.js', 'validate', '--wasm', wasm, file]);
    assert.equal(await p.wait(30_000), 0, p.out());
  });
});
