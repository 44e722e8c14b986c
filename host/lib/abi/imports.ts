// Every host function Envoy gives a proxy-wasm module: env.proxy_* of the module's ABI version,
// built area by area (each against the narrow part of the VM it needs), and Envoy's WASI subset
// (abi/wasi.ts) under both wasi_snapshot_preview1 and wasi_unstable. Each call is checked against
// the start-up/malloc restrictions and recorded (abi/host-calls.ts) and, where Envoy would
// silently tolerate a guest mistake, reported as a violation.

import type { VmMetrics } from '../metrics.ts';
import { type BufferHost, defineBufferCalls } from './buffers.ts';
import { type CalloutHost, defineCalloutCalls } from './http-callouts.ts';
import { defineHeaderMapCalls } from './header-maps.ts';
import { type HostCallVm, type HostFn, ImportTable } from './host-calls.ts';
import { defineLoggingCalls, type LogHost } from './logging.ts';
import { defineMetricCalls } from './metrics.ts';
import { definePropertyCalls, type PropertyHost } from './properties.ts';
import { defineSharedDataCalls, type SharedDataHost } from './shared-data.ts';
import { defineStreamControlCalls, type StreamControlHost } from './stream-control.ts';
import { defineTimerCalls, type TimerHost } from './timers.ts';
import type { AbiVersion } from './types.ts';
import { WASI_FUNCTIONS, WASI_MODULES, type WasiHost, wasiImports } from './wasi.ts';

const COMMON_PROXY = [
  'log', 'get_status', 'set_property', 'get_property', 'send_local_response', 'get_shared_data',
  'set_shared_data', 'register_shared_queue', 'resolve_shared_queue', 'dequeue_shared_queue',
  'enqueue_shared_queue', 'get_header_map_value', 'add_header_map_value', 'replace_header_map_value',
  'remove_header_map_value', 'get_header_map_pairs', 'set_header_map_pairs', 'get_header_map_size',
  'get_buffer_status', 'get_buffer_bytes', 'set_buffer_bytes', 'http_call', 'grpc_call', 'grpc_stream',
  'grpc_close', 'grpc_cancel', 'grpc_send', 'set_tick_period_milliseconds', 'get_current_time_nanoseconds',
  'define_metric', 'increment_metric', 'record_metric', 'get_metric', 'set_effective_context', 'done',
  'call_foreign_function',
];

const ABI_SPECIFIC: Record<AbiVersion, string[]> = {
  '0.1.0': ['get_configuration', 'continue_request', 'continue_response', 'clear_route_cache'],
  '0.2.0': ['continue_stream', 'close_stream'],
  '0.2.1': ['continue_stream', 'close_stream', 'get_log_level'],
};

/** `module.name` of every function the host provides to a module of this ABI version. */
export function providedImports(abi: AbiVersion): Set<string> {
  const names = [...COMMON_PROXY, ...ABI_SPECIFIC[abi]].map((f) => `env.proxy_${f}`);
  names.push('env.pthread_equal', 'env.emscripten_notify_memory_growth');
  for (const mod of WASI_MODULES) for (const f of WASI_FUNCTIONS) names.push(`${mod}.${f}`);
  return new Set(names);
}

/** What each ABI area needs from the VM besides the calling context. */
export interface AbiAreas {
  buffers: BufferHost;
  properties: PropertyHost;
  streams: StreamControlHost;
  shared: SharedDataHost;
  callouts: CalloutHost;
  metrics: VmMetrics;
  timers: TimerHost;
  logging: LogHost;
}

export function buildImports(vm: HostCallVm & WasiHost, areas: AbiAreas): Record<string, Record<string, HostFn>> {
  const t = new ImportTable(vm);
  defineHeaderMapCalls(t);
  defineBufferCalls(t, areas.buffers);
  defineStreamControlCalls(t, areas.streams);
  definePropertyCalls(t, areas.properties);
  defineSharedDataCalls(t, areas.shared);
  defineCalloutCalls(t, areas.callouts);
  defineMetricCalls(t, areas.metrics);
  defineTimerCalls(t, areas.timers);
  defineLoggingCalls(t, areas.logging);
  return { env: t.fns, ...Object.fromEntries(WASI_MODULES.map((m) => [m, wasiImports(vm, m)])) };
}
