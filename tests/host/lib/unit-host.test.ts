// The unit host: a module that is not a proxy-wasm filter (as-pect's test binary) calling the
// VM's host functions inside the callback the test entered. It must answer as the real VM does.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createUnitHost, type HeaderList, ModuleRejectedError, type UnitCallback, type UnitHost,
} from '../../../host/lib/index.ts';
import { ACCEPTING_ROOT, guest, type GuestOptions, SLOT_PTR, Strings, wat } from '../wat.ts';
import { start } from '../harness.ts';

const OK = 0;
const BAD_ARGUMENT = 2;

/** Reads x-env (logging it) and sets X-Route on the request map. */
function readAndRoute(s: Strings): string {
  const w = wat(s);
  return `${w.logHeader(0, 'X-Env')} ${w.replaceHeader(0, 'X-Route', 'a')}`;
}

async function compile(opts: GuestOptions): Promise<WebAssembly.Module> {
  return new WebAssembly.Module(new Uint8Array(await guest(opts)));
}

/** Instantiates a non-proxy-wasm module (no ABI export, an import of its own) on a unit host. */
async function unitModule(host: UnitHost, body: string, s: Strings): Promise<Record<string, () => void>> {
  const module = await compile({ body, strings: s, abi: null, extraImports: ['(import "runner" "own" (func $own))'] });
  const proxy = host.importsFor(module);
  assert.ok(Object.keys(proxy.env).every((name) => name.startsWith('proxy_')), Object.keys(proxy.env).join());
  const instance = new WebAssembly.Instance(module, { runner: { own: () => undefined }, ...proxy });
  host.bind(instance);
  return instance.exports as Record<string, () => void>;
}

/** A unit host that has run `calls` from a non-filter module inside `callback` of its stream. */
async function ranInside(callback: UnitCallback, headers: HeaderList, calls: (s: Strings) => string): Promise<UnitHost> {
  const s = new Strings();
  const host = createUnitHost();
  const exports = await unitModule(host, `(func (export "run") ${calls(s)})`, s);
  host.setHeaders('request', headers);
  host.enter(callback);
  exports['run']!();
  return host;
}

test('a module that is not a filter reads and changes the stream the test entered', async () => {
  const host = await ranInside('proxy_on_request_headers', [[':path', '/'], ['X-Env', 'dev']], readAndRoute);
  assert.deepEqual(host.logs.map((l) => l.message), ['dev']);
  assert.deepEqual(host.headers('request'), [[':path', '/'], ['x-env', 'dev'], ['x-route', 'a']]);
  assert.deepEqual(host.hostCalls().map((c) => [c.name, c.result, c.contextId, c.callback]), [
    ['proxy_get_header_map_value', OK, host.stream.id, 'proxy_on_request_headers'],
    ['proxy_log', OK, host.stream.id, 'proxy_on_request_headers'],
    ['proxy_replace_header_map_value', OK, host.stream.id, 'proxy_on_request_headers'],
  ]);
  assert.equal(host.routeCacheCleared, true, 'a request header change clears the route cache');
  assert.deepEqual(host.violations(), []);
});

test('outside the request header window it answers and reports what the real VM does', async () => {
  const host = await ranInside('proxy_on_response_headers', [['x-env', 'dev']], readAndRoute);

  // The same calls from a filter's on_response_headers, through the real plugin.
  const rs = new Strings();
  const p = await start(await guest({
    strings: rs,
    body: `${ACCEPTING_ROOT}
      (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) ${readAndRoute(rs)} (i32.const 0))`,
  }));
  const stream = p.createStream();
  stream.onRequestHeaders([['x-env', 'dev']], true);
  stream.onResponseHeaders([[':status', '200']], true);
  stream.complete();

  const calls = (list: Array<{ name: string; result?: number }>) =>
    list.filter((c) => c.name.includes('header_map')).map((c) => [c.name, c.result]);
  assert.deepEqual(calls(host.hostCalls()), [
    ['proxy_get_header_map_value', BAD_ARGUMENT], ['proxy_replace_header_map_value', BAD_ARGUMENT],
  ]);
  assert.deepEqual(calls(host.hostCalls()), calls(p.hostCalls()));
  const shape = (list: Array<{ kind: string; call: string; message: string; callback?: string }>) =>
    list.map(({ kind, call, message, callback }) => ({ kind, call, message, callback }));
  assert.equal(host.violations().length, 2);
  assert.deepEqual(shape(host.violations()), shape(p.violations()));
  assert.deepEqual(host.headers('request'), [['x-env', 'dev']], 'unchanged');
  await p.close();
});

/** Counts 2 on a metric, replies 403, then reads the request header map again. */
function countAndReply(s: Strings): string {
  return `(drop (call $proxy_define_metric (i32.const 0) ${s.ref('unit.counter')} (i32.const ${SLOT_PTR})))
    (drop (call $proxy_increment_metric (i32.load (i32.const ${SLOT_PTR})) (i64.const 2)))
    (drop (call $proxy_send_local_response (i32.const 403) ${s.ref('not allowed')} ${s.ref('no')}
      (i32.const 0) (i32.const 0) (i32.const -1)))
    ${wat(s).getHeader(0, 'x-env')}`;
}

test('metrics and a local reply are the VM\'s; the reply leaves the map readable in that callback', async () => {
  const host = await ranInside('proxy_on_request_headers', [['x-env', 'dev']], countAndReply);
  assert.deepEqual(host.metrics().map((m) => [m.name, m.value]), [['wasmcustom.unit.counter', 2]]);
  assert.equal(host.localReply?.status, 403);
  assert.equal(host.localReply?.details, 'not_allowed', 'whitespace replaced, as Envoy stores details');

  const rs = new Strings();
  const p = await start(await guest({
    strings: rs,
    body: `${ACCEPTING_ROOT}
      (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) ${countAndReply(rs)} (i32.const 1))`,
  }));
  const out = p.createStream().onRequestHeaders([['x-env', 'dev']], true);
  assert.equal(out.action, 'localReply');
  const gets = (list: Array<{ name: string; result?: number }>) =>
    list.filter((c) => c.name === 'proxy_get_header_map_value').map((c) => c.result);
  assert.deepEqual(gets(host.hostCalls()), [OK], 'Envoy ends the callback only after it returns');
  assert.deepEqual(gets(host.hostCalls()), gets(p.hostCalls()));
  assert.deepEqual(host.metrics(), p.metrics());
  await p.close();
});

test('it refuses what the real VM refuses: an import of another ABI version, no malloc', async () => {
  const extra = '(import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))';
  const without = await compile({ body: '', abi: null, extraImports: [extra] });
  assert.throws(() => createUnitHost().importsFor(without),
    new ModuleRejectedError('Failed to load Wasm module due to a missing import: env.proxy_get_configuration', 'unit'));
  await assert.rejects(start(await guest({ body: ACCEPTING_ROOT, extraImports: [extra] })),
    { message: 'Failed to load Wasm module due to a missing import: env.proxy_get_configuration' });

  const host = createUnitHost();
  const noMalloc = await compile({ body: '', abi: null, malloc: 'none' });
  const instance = new WebAssembly.Instance(noMalloc, host.importsFor(noMalloc));
  assert.throws(() => host.bind(instance), { message: 'Wasm module is missing malloc function.' });
});
