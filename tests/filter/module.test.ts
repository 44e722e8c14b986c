// The built module as Envoy sees it before running anything: its ABI, exports and imports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtWasm } from '../helpers/routekey.ts';

const mod = new WebAssembly.Module(builtWasm());

test('imports exactly the proxy-wasm calls the filter uses, and nothing Envoy lacks', () => {
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`).sort();
  assert.deepEqual(imports, [
    'env.proxy_add_header_map_value',
    'env.proxy_define_metric',
    'env.proxy_get_buffer_bytes',
    'env.proxy_get_current_time_nanoseconds',
    'env.proxy_get_header_map_value',
    'env.proxy_get_log_level',
    'env.proxy_get_property',
    'env.proxy_get_shared_data',
    'env.proxy_http_call',
    'env.proxy_increment_metric',
    'env.proxy_log',
    'env.proxy_record_metric',
    'env.proxy_remove_header_map_value',
    'env.proxy_replace_header_map_value',
    // The unknown-key local reply (filter/respond.ts).
    'env.proxy_send_local_response',
    'env.proxy_set_effective_context',
    'env.proxy_set_shared_data',
    'env.proxy_set_tick_period_milliseconds',
    // The fetch lease's holder id (fetch/fetcher.ts): Envoy provides WASI random_get.
    'wasi_snapshot_preview1.random_get',
  ]);
});

test('announces ABI 0.2.1 and exports what Envoy calls', () => {
  const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  for (const name of ['proxy_abi_version_0_2_1', 'malloc', 'memory', '_initialize', 'proxy_on_context_create',
    'proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_request_headers', 'proxy_on_response_headers',
    'proxy_on_log', 'proxy_on_done', 'proxy_on_delete', 'proxy_on_http_call_response', 'proxy_on_tick']) {
    assert.ok(exports.has(name), `missing export ${name}`);
  }
  assert.ok(!exports.has('proxy_abi_version_0_2_0') && !exports.has('proxy_abi_version_0_1_0'), 'one ABI only');
  assert.ok(!exports.has('_start'), 'a reactor: _initialize, not _start');
});
