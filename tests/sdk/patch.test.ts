// Each fix in patches/@solo-io+proxy-runtime+0.1.8.patch, shown on a module built from the
// patched SDK (tests/fixtures/sdk-probe.ts) and driven through host/. What routekey does on top
// of the SDK (the root-id fallback in assembly/sdk.ts, the log-level refresh on its tick) is not
// in the patch: tests/filter/ticks.test.ts and dispatch.test.ts show it on the built filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startPlugin } from '../../host/lib/plugin.ts';
import type { Plugin } from '../../host/lib/api.ts';
import { ROOT, startRoutekey } from '../helpers/routekey.ts';

let wasm: Uint8Array<ArrayBuffer>;
const plugins: Plugin[] = [];

before(() => {
  // The SDK as shipped does not compile on AssemblyScript 0.27 (rt/index-full, wasi_unstable):
  // compiling the probe at all is the first check.
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'routekey-probe-')), 'probe.wasm');
  execFileSync(path.join(ROOT, 'node_modules/.bin/asc'),
    ['tests/fixtures/sdk-probe.ts', '--config', 'tests/fixtures/asconfig.json', '-o', out], { cwd: ROOT, stdio: 'pipe' });
  wasm = new Uint8Array(fs.readFileSync(out));
});
after(async () => { await Promise.all(plugins.map((p) => p.close())); });

async function probe(configuration = 'hello from the plugin config', logLevel: any = 'info') {
  const p = await startPlugin({ wasm, rootId: 'probe', configuration, workers: 1, logLevel });
  plugins.push(p);
  return p;
}

test('RootContext.onConfigure reads the configuration (it passed the size as a pointer)', async () => {
  const p = await probe('{"a": 1}');
  assert.ok(p.logs.some((l) => l.message === 'probe: configuration={"a": 1}'), JSON.stringify(p.logs));
  assert.deepEqual(p.failures(), []);
});

test('proxy_set_buffer_bytes is imported under its own name and replaces the body', async () => {
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm)).map((i) => `${i.module}.${i.name}`);
  assert.ok(imports.includes('env.proxy_set_buffer_bytes'));
  assert.equal(imports.filter((n) => n === 'env.proxy_get_buffer_status').length, 0, 'unused here, and never bound to set');
  assert.ok(!imports.some((n) => n.includes('proc_exit')), 'abort no longer calls proc_exit');
  const p = await probe();
  const s = p.createStream();
  s.onRequestHeaders([[':authority', 'a'], [':path', '/'], [':method', 'POST']], false);
  const out = s.onRequestBody(new TextEncoder().encode('original body'), true);
  s.complete();
  assert.equal(out.action, 'continue');
  assert.equal(new TextDecoder().decode(out.body), 'patched');
  assert.deepEqual(p.violations(), []);
});

test('get_metric reads the metric through proxy_get_metric', async () => {
  const p = await probe();
  const s = p.createStream();
  s.onRequestHeaders([[':authority', 'a'], [':path', '/'], ['x-probe', 'metric']], true);
  s.complete();
  assert.ok(p.logs.some((l) => l.message === 'probe: metric=3'), JSON.stringify(p.logs));
});

test('below trace level the SDK logs nothing per stream (debug is the plugin\'s own); at trace it does', async () => {
  for (const [level, expectLogs] of [['info', false], ['debug', false], ['trace', true]] as const) {
    const p = await probe('x', level);
    const before = p.logs.length;
    const s = p.createStream();
    s.onRequestHeaders([[':authority', 'a'], [':path', '/']], true);
    s.onResponseHeaders([[':status', '200']], true);
    s.complete();
    const streamLogs = p.logs.slice(before);
    assert.equal(streamLogs.length > 0, expectLogs, `${level}: ${JSON.stringify(streamLogs)}`);
  }
});

test('abort logs the message at critical and traps (proc_exit does not stop a guest in Envoy)', async () => {
  const p = await probe();
  const s = p.createStream();
  const out = s.onRequestHeaders([[':authority', 'a'], [':path', '/'], ['x-probe', 'abort']], true);
  assert.equal(out.action, 'failed');
  assert.ok(p.logs.some((l) => l.level === 'critical' && l.message.startsWith('probe abort requested')), JSON.stringify(p.logs));
  assert.equal(p.failures().length, 1);
});

test('the patched malloc hands out raw heap blocks the SDK copies and frees: memory stays flat', async () => {
  const p = await probe();
  const drive = (n: number) => {
    for (let i = 0; i < n; i++) {
      const s = p.createStream();
      s.onRequestHeaders([[':authority', 'a'], [':path', '/'], ['x-probe', 'x'.repeat(200)]], true);
      s.complete();
    }
  };
  drive(500);
  const before = p.memoryBytes();
  drive(5000);
  assert.equal(p.memoryBytes(), before);
  assert.deepEqual(p.failures(), []);
});

test('the context registry (was a std Map) keeps each live stream apart while hundreds interleave', async () => {
  // routekey answers the decision on the response, from state kept on the stream's own context:
  // a registry that mixed contexts up would answer another stream's route.
  const routes = ['a', 'b', 'c', 'd', 'e'].map((k) => ({ name: `route-${k}`, keys: [k], destination: `${k}.svc` }));
  const p = await startRoutekey({ key: 'x-env', routes, decisionHeader: 'x-route' }, { recordHostCalls: false });
  plugins.push(p);
  const random = (() => { let s = 99; return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32); })();
  const open: Array<{ stream: ReturnType<Plugin['createStream']>; key: string }> = [];
  for (let round = 0; round < 3000; round++) {
    if (open.length < 400 && (open.length === 0 || random() < 0.55)) {
      const key = 'abcde'[Math.floor(random() * 5)]!;
      const stream = p.createStream();
      stream.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', key]], true);
      open.push({ stream, key });
    } else {
      const { stream, key } = open.splice(Math.floor(random() * open.length), 1)[0]!;
      const out = stream.onResponseHeaders([[':status', '200']], true);
      assert.deepEqual(out.headers.find(([k]) => k === 'x-route'), ['x-route', `route-${key}`]);
      stream.complete();
    }
  }
  for (const { stream } of open) stream.complete();
  assert.deepEqual(p.failures(), []);
  const before = p.memoryBytes();
  for (let i = 0; i < 3000; i++) {
    const s = p.createStream();
    s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'a']], true);
    s.complete();
  }
  assert.equal(p.memoryBytes(), before, 'no growth once the registry has held the peak');
});
