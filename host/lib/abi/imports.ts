// Every host function Envoy gives a proxy-wasm module: env.proxy_* of the module's ABI version and
// Envoy's WASI subset (abi/wasi.ts) under both wasi_snapshot_preview1 and wasi_unstable. Each call
// is checked against the start-up/malloc restrictions, recorded (name + result) and, where Envoy
// would silently tolerate a guest mistake, reported as a violation.
//
// Header keys and values cross as byte strings (host/lib/headers.ts): bytes in guest memory are
// copied unchanged to and from the header maps.

import {
  type AbiVersion, BUFFER_TYPE_MAX, BufferType, HEADER_MAP_TYPE_MAX, HeaderMapType, LOG_LEVEL_MAX,
  LOG_LEVELS, STREAM_TYPE_MAX, StreamType, WasmResult,
} from './types.ts';
import { decodePairs, encodePairs, utf8 } from './memory.ts';
import { type HostFn, WASI_FUNCTIONS, WASI_MODULES, wasiImports } from './wasi.ts';
import { HeaderMap, toByteString } from '../headers.ts';
import { resolveProperty, splitPath } from '../properties.ts';
import { sharedData, sharedQueues } from '../shared.ts';
import type { Context, WasmVm } from '../vm.ts';

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

const EMPTY = new Uint8Array(0);

/** A buffer as get/set_buffer_bytes see it. */
interface BufferView {
  data: Uint8Array;
  /** Read outside its window: Envoy answers an empty buffer (already reported as wrong-phase). */
  unavailable?: boolean;
  set?: (start: number, length: number, data: Uint8Array) => WasmResult;
}

export function buildImports(vm: WasmVm): Record<string, Record<string, HostFn>> {
  const env: Record<string, HostFn> = {};
  const vmId = toByteString(vm.env.plugin.vmId, 'utf8');
  const legacy = vm.abi === '0.1.0';

  const mem = () => vm.mem;
  const ctx = (): Context => vm.context();
  const root = () => vm.rootOf(ctx());
  const stream = () => {
    const c = ctx();
    return c.kind === 'stream' ? c : undefined;
  };

  let currentCall = '';
  const badMemory = (): WasmResult => {
    vm.violation('invalid-memory', currentCall, `${currentCall}: guest pointer out of bounds`);
    return WasmResult.InvalidMemoryAccess;
  };
  const wrongPhase = (what: string): void => {
    vm.violation('wrong-phase', currentCall, `${currentCall}: ${what} not available in ${vm.currentCallback ?? 'this phase'}`);
  };
  const badArg = (what: string): WasmResult => {
    vm.violation('bad-argument', currentCall, `${currentCall}: ${what}`);
    return WasmResult.BadArgument;
  };
  const out = (data: Uint8Array, ptrPtr: number, sizePtr: number): WasmResult =>
    mem().copyToPointerSize(data, ptrPtr, sizePtr) ? WasmResult.Ok : badMemory();

  const define = (name: string, fn: HostFn): void => {
    const full = `env.${name}`;
    env[name] = (...args: unknown[]) => {
      vm.checkAllowed(full);
      const saved = currentCall;
      currentCall = name;
      try {
        const r = fn(...args);
        vm.recordCall(name, typeof r === 'number' ? r : undefined);
        return r;
      } finally {
        currentCall = saved;
      }
    };
  };

  // --- header maps ----------------------------------------------------------------------------

  /** Envoy's getConstMap; `logPhase` tells a missing map in on_log apart. */
  const constMap = (type: number): { map?: HeaderMap; logPhase: boolean } => {
    const c = ctx();
    if (type === HeaderMapType.HttpCallResponseHeaders || type === HeaderMapType.HttpCallResponseTrailers) {
      const r = vm.rootOf(c)?.httpCallResponse;
      const map = r ? (type === HeaderMapType.HttpCallResponseHeaders ? r.headers : r.trailers) : undefined;
      return { map, logPhase: false };
    }
    if (c.kind !== 'stream') return { logPhase: false };
    const s = c.state;
    if (s.accessLog) {
      if (type === HeaderMapType.RequestHeaders) return { map: s.requestHeaders, logPhase: true };
      if (type === HeaderMapType.ResponseHeaders) return { map: s.responseHeaders, logPhase: true };
      return { logPhase: true };
    }
    return { map: mutableMap(type), logPhase: false };
  };

  /** Envoy's getMap: only request/response headers, only inside their window. */
  const mutableMap = (type: number): HeaderMap | undefined => {
    const s = stream()?.state;
    if (!s || s.accessLog) return undefined;
    if (type === HeaderMapType.RequestHeaders && s.requestWindow) return s.requestHeaders;
    if (type === HeaderMapType.ResponseHeaders && s.responseWindow) return s.responseHeaders;
    return undefined;
  };

  const modified = (type: number): void => {
    // ABI <= 0.2.1: any request-header change clears the route cache (Envoy >= 1.17).
    const s = stream()?.state;
    if (s && type === HeaderMapType.RequestHeaders) s.routeCacheCleared = true;
  };

  const withMutableMap = (type: number, change: (m: HeaderMap) => void): WasmResult => {
    const map = mutableMap(type);
    if (!map) {
      wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    change(map);
    modified(type);
    return WasmResult.Ok;
  };

  define('proxy_get_header_map_value', (type: number, kp: number, ks: number, vpp: number, vsp: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const key = mem().readByteString(kp, ks);
    if (key === undefined) return badMemory();
    const { map, logPhase } = constMap(type);
    if (!map) {
      if (logPhase) return legacy ? out(EMPTY, vpp, vsp) : WasmResult.NotFound;
      wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    const value = map.get(key);
    if (value === undefined) return legacy ? out(EMPTY, vpp, vsp) : WasmResult.NotFound;
    return out(Buffer.from(value, 'latin1'), vpp, vsp);
  });

  define('proxy_add_header_map_value', (type: number, kp: number, ks: number, vp: number, vs: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const key = mem().readByteString(kp, ks);
    const value = mem().readByteString(vp, vs);
    if (key === undefined || value === undefined) return badMemory();
    return withMutableMap(type, (m) => m.add(key, value));
  });

  define('proxy_replace_header_map_value', (type: number, kp: number, ks: number, vp: number, vs: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const key = mem().readByteString(kp, ks);
    const value = mem().readByteString(vp, vs);
    if (key === undefined || value === undefined) return badMemory();
    return withMutableMap(type, (m) => m.replace(key, value));
  });

  define('proxy_remove_header_map_value', (type: number, kp: number, ks: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const key = mem().readByteString(kp, ks);
    if (key === undefined) return badMemory();
    return withMutableMap(type, (m) => m.remove(key));
  });

  define('proxy_get_header_map_pairs', (type: number, ptrPtr: number, sizePtr: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const { map, logPhase } = constMap(type);
    if (!map && !logPhase) wrongPhase(`header map ${type}`);
    const pairs = map?.toList() ?? [];
    return out(pairs.length === 0 ? EMPTY : encodePairs(pairs, 'latin1'), ptrPtr, sizePtr);
  });

  define('proxy_set_header_map_pairs', (type: number, ptr: number, size: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const data = mem().read(ptr, size);
    if (data === undefined) return badMemory();
    const pairs = decodePairs(data, 'latin1');
    if (pairs === null) {
      vm.violation('bad-argument', currentCall, `${currentCall}: malformed or oversized pairs read as an empty map`);
    }
    return withMutableMap(type, (m) => {
      m.clear();
      for (const [k, v] of pairs ?? []) m.add(k, v);
    });
  });

  define('proxy_get_header_map_size', (type: number, resultPtr: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return badArg(`map type ${type}`);
    const map = mutableMap(type);
    if (!map) {
      wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    return mem().writeU32(resultPtr, map.byteSize()) ? WasmResult.Ok : badMemory();
  });

  // --- buffers --------------------------------------------------------------------------------

  const bodyView = (get: () => Uint8Array, put: (b: Uint8Array) => void): BufferView => ({
    data: get(),
    set: (start, length, data) => {
      const body = get();
      if (start === 0) put(concat(data, body.subarray(Math.min(length, body.length))));
      else if (start >= body.length) put(concat(body, data));
      else return WasmResult.BadArgument;
      return WasmResult.Ok;
    },
  });

  const buffer = (type: number): BufferView | undefined => {
    const c = ctx();
    switch (type) {
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody: {
        const s = c.kind === 'stream' ? c.state : undefined;
        if (!s || s.bodyWindow !== type) {
          wrongPhase(type === 0 ? 'request body' : 'response body');
          return { data: EMPTY, unavailable: true };
        }
        return type === BufferType.HttpRequestBody
          ? bodyView(() => s.requestBody, (b) => (s.requestBody = b))
          : bodyView(() => s.responseBody, (b) => (s.responseBody = b));
      }
      case BufferType.HttpCallResponseBody: {
        const r = vm.rootOf(c)?.httpCallResponse;
        if (!r) {
          wrongPhase('http call response body');
          return undefined;
        }
        return { data: r.body };
      }
      case BufferType.VmConfiguration:
        return { data: vm.env.vmConfiguration };
      case BufferType.PluginConfiguration: {
        const r = c.kind === 'root' ? c : undefined;
        if (!r || !r.configuring) {
          wrongPhase('plugin configuration');
          return undefined;
        }
        return { data: r.configuration };
      }
      default:
        return { data: EMPTY };
    }
  };

  define('proxy_get_buffer_status', (type: number, lengthPtr: number, flagsPtr: number) => {
    if (type > BUFFER_TYPE_MAX) return badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    return mem().writeU32(lengthPtr, b.data.length) && mem().writeU32(flagsPtr, 0) ? WasmResult.Ok : badMemory();
  });

  define('proxy_get_buffer_bytes', (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
    if (type > BUFFER_TYPE_MAX) return badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    start >>>= 0;
    length >>>= 0;
    const size = b.data.length;
    if (b.unavailable) return start > size ? WasmResult.BadArgument : WasmResult.Ok;
    if (start + length > size) {
      vm.violation('read-past-end', currentCall,
        `${currentCall}: read [${start}, ${start + length}) of buffer ${type} holding ${size} bytes`);
      if (start > size) return WasmResult.BadArgument;
      length = size - start;
    }
    if (length > 0) return out(b.data.slice(start, start + length), ptrPtr, sizePtr);
    return WasmResult.Ok;
  });

  define('proxy_set_buffer_bytes', (type: number, start: number, length: number, dp: number, ds: number) => {
    if (type > BUFFER_TYPE_MAX) return badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    const data = mem().read(dp, ds);
    if (data === undefined) return badMemory();
    if (!b.set) return badArg(`buffer ${type} is read-only`);
    return b.set(start >>> 0, length >>> 0, data);
  });

  // --- stream control -------------------------------------------------------------------------

  /**
   * proxy_continue_stream / proxy_close_stream on an HTTP stream, as Envoy's Context answers:
   * request/response act on the stream; downstream/upstream have no network callbacks there
   * (continue: Ok / Unimplemented, close: Ok); beyond the enum → BadArgument.
   */
  const streamControl = (type: number, act: 'continue' | 'close'): WasmResult => {
    if (type > STREAM_TYPE_MAX) return badArg(`stream type ${type}`);
    const s = stream();
    if (!s) {
      wrongPhase('a stream');
      return WasmResult.Ok;
    }
    if (type === StreamType.Request || type === StreamType.Response) {
      return act === 'continue' ? s.state.events.continueStream(type) : s.state.events.closeStream();
    }
    return act === 'continue' && type === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  };
  const continueStream = (type: number) => streamControl(type, 'continue');
  if (vm.abi === '0.1.0') {
    define('proxy_continue_request', () => continueStream(StreamType.Request));
    define('proxy_continue_response', () => continueStream(StreamType.Response));
    define('proxy_clear_route_cache', () => {
      const s = stream();
      if (s) s.state.routeCacheCleared = true;
      return WasmResult.Ok;
    });
    define('proxy_get_configuration', (ptrPtr: number, sizePtr: number) => {
      const r = root();
      return out(r?.configuring ? r.configuration : EMPTY, ptrPtr, sizePtr);
    });
  } else {
    define('proxy_continue_stream', continueStream);
    define('proxy_close_stream', (type: number) => streamControl(type, 'close'));
    if (vm.abi === '0.2.1') {
      define('proxy_get_log_level', (levelPtr: number) =>
        mem().writeU32(levelPtr, vm.env.logLevel()) ? WasmResult.Ok : badMemory());
    }
  }

  define('proxy_send_local_response', (
    status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number,
  ) => {
    const details = mem().readString(dp, ds);
    const body = mem().read(bp, bs);
    const headers = mem().read(hp, hs);
    if (details === undefined || body === undefined || headers === undefined) return badMemory();
    const s = stream();
    if (!s) {
      wrongPhase('a stream to reply on');
      return WasmResult.Ok;
    }
    if (s.state.localReply) {
      // Envoy answers Ok and sends the first reply only (1.27: local_reply_sent_).
      vm.violation('bad-argument', currentCall, `${currentCall}: a second local reply in one stream is dropped`);
      return WasmResult.Ok;
    }
    s.state.events.sendLocalReply({
      status: status >>> 0,
      // Envoy stores the details with whitespace replaced (StringUtil::replaceAllEmptySpace).
      details: details.replace(/\s/g, '_'),
      body,
      headers: decodePairs(headers, 'latin1') ?? [],
      grpcStatus: grpc | 0,
    });
    return WasmResult.Ok;
  });

  define('proxy_set_effective_context', (id: number) => vm.setEffectiveContext(id >>> 0));
  define('proxy_done', () => WasmResult.NotFound);

  define('proxy_call_foreign_function', (np: number, ns: number, ap: number, as: number, rpp: number, rsp: number) => {
    const name = mem().readString(np, ns);
    const args = mem().read(ap, as);
    if (name === undefined || args === undefined) return badMemory();
    if (name !== 'clear_route_cache') return WasmResult.NotFound;
    const s = stream();
    if (s) s.state.routeCacheCleared = true;
    if (rpp && !mem().writeU32(rpp, 0)) return badMemory();
    if (rsp && !mem().writeU32(rsp, 0)) return badMemory();
    return WasmResult.Ok;
  });

  // --- logging, time, properties, status ------------------------------------------------------

  define('proxy_log', (level: number, ptr: number, size: number) => {
    if (level >>> 0 > LOG_LEVEL_MAX) return badArg(`log level ${level}`);
    const message = mem().readString(ptr, size);
    if (message === undefined) return badMemory();
    vm.log(LOG_LEVELS[level]!, message);
    return WasmResult.Ok;
  });

  define('proxy_get_current_time_nanoseconds', (ptr: number) =>
    mem().writeU64(ptr, vm.nowNanoseconds()) ? WasmResult.Ok : badMemory());

  define('proxy_set_tick_period_milliseconds', (ms: number) => {
    const r = root();
    if (!r) return badArg('no root context');
    vm.setTickPeriod(r, ms >>> 0);
    return WasmResult.Ok;
  });

  define('proxy_get_property', (pp: number, ps: number, vpp: number, vsp: number) => {
    const raw = mem().read(pp, ps);
    if (raw === undefined) return badMemory();
    const c = ctx();
    const value = resolveProperty(splitPath(Buffer.from(raw).toString('latin1')), {
      plugin: vm.env.plugin,
      pluginProperties: vm.env.pluginProperties,
      stream: c.kind === 'stream'
        ? {
          properties: c.state.properties, written: c.state.written,
          requestHeaders: c.state.requestHeaders, responseHeaders: c.state.responseHeaders,
        }
        : undefined,
    });
    if (value === undefined) return WasmResult.NotFound;
    return out(value, vpp, vsp);
  });

  define('proxy_set_property', (kp: number, ks: number, vp: number, vs: number) => {
    const key = mem().read(kp, ks);
    const value = mem().read(vp, vs);
    if (key === undefined || value === undefined) return badMemory();
    const s = stream();
    if (!s) return WasmResult.NotFound;
    s.state.written.set(splitPath(Buffer.from(key).toString('latin1')).join('.'), value);
    return WasmResult.Ok;
  });

  define('proxy_get_status', (codePtr: number, ptrPtr: number, sizePtr: number) => {
    const status = root()?.status ?? { code: 0, message: '' };
    if (!mem().writeU32(codePtr, status.code)) return badMemory();
    return out(utf8(status.message), ptrPtr, sizePtr);
  });

  // --- shared data and queues -----------------------------------------------------------------

  define('proxy_get_shared_data', (kp: number, ks: number, vpp: number, vsp: number, casPtr: number) => {
    const key = mem().readByteString(kp, ks);
    if (key === undefined) return badMemory();
    const entry = sharedData.get(vmId, key);
    if (!entry) return WasmResult.NotFound;
    const r = out(entry.value, vpp, vsp);
    if (r !== WasmResult.Ok) return r;
    return mem().writeU32(casPtr, entry.cas) ? WasmResult.Ok : badMemory();
  });

  define('proxy_set_shared_data', (kp: number, ks: number, vp: number, vs: number, cas: number) => {
    const key = mem().readByteString(kp, ks);
    const value = mem().read(vp, vs);
    if (key === undefined || value === undefined) return badMemory();
    return sharedData.set(vmId, key, value, cas >>> 0);
  });

  define('proxy_register_shared_queue', (np: number, ns: number, tokenPtr: number) => {
    const name = mem().readByteString(np, ns);
    if (name === undefined) return badMemory();
    const token = sharedQueues.register(vmId, name, vm, ctx().id);
    return mem().writeU32(tokenPtr, token) ? WasmResult.Ok : badMemory();
  });

  define('proxy_resolve_shared_queue', (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
    const id = mem().readByteString(vp, vs);
    const name = mem().readByteString(np, ns);
    if (id === undefined || name === undefined) return badMemory();
    const token = sharedQueues.resolve(id, name);
    if (token === undefined) return WasmResult.NotFound;
    return mem().writeU32(tokenPtr, token) ? WasmResult.Ok : badMemory();
  });

  define('proxy_dequeue_shared_queue', (token: number, dpp: number, dsp: number) => {
    const r = sharedQueues.dequeue(token >>> 0);
    if (r.result !== WasmResult.Ok) return r.result;
    return out(r.data!, dpp, dsp);
  });

  define('proxy_enqueue_shared_queue', (token: number, dp: number, ds: number) => {
    const data = mem().read(dp, ds);
    if (data === undefined) return badMemory();
    return sharedQueues.enqueue(token >>> 0, data);
  });

  // --- HTTP and gRPC callouts -----------------------------------------------------------------

  define('proxy_http_call', (
    up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number,
    timeout: number, tokenPtr: number,
  ) => {
    const cluster = mem().readString(up, us);
    const body = mem().read(bp, bs);
    const rawHeaders = mem().read(hp, hs);
    const rawTrailers = mem().read(tp, ts);
    if (cluster === undefined || body === undefined || rawHeaders === undefined || rawTrailers === undefined) {
      return badMemory();
    }
    if (!mem().writeU32(tokenPtr, 0)) return badMemory();
    const r = root();
    if (!r) return badArg('no root context');
    if ((timeout | 0) < 0) return badArg(`negative timeout ${timeout | 0}`);
    const target = vm.env.clusters?.(cluster);
    if (!target) return badArg(`unknown cluster "${cluster}"`);
    const headers = HeaderMap.fromPairs(decodePairs(rawHeaders, 'latin1') ?? []);
    for (const required of [':method', ':path', ':authority']) {
      if (headers.get(required) === undefined) return badArg(`callout headers lack ${required}`);
    }
    const token = vm.startCallout(r, {
      cluster, host: target.host, port: target.port, headers: headers.toList(), body,
      trailers: HeaderMap.fromPairs(decodePairs(rawTrailers, 'latin1') ?? []).toList(), timeoutMs: timeout >>> 0,
    });
    return mem().writeU32(tokenPtr, token) ? WasmResult.Ok : badMemory();
  });

  const grpcStart = (sp: number, ss: number): WasmResult => {
    const service = mem().readString(sp, ss);
    if (service === undefined) return badMemory();
    if (!vm.env.clusters?.(service)) return WasmResult.ParseFailure;
    vm.violation('bad-argument', currentCall, `${currentCall}: gRPC callouts are not emulated`);
    return WasmResult.InternalFailure;
  };
  define('proxy_grpc_call', (sp: number, ss: number) => grpcStart(sp, ss));
  define('proxy_grpc_stream', (sp: number, ss: number) => grpcStart(sp, ss));
  define('proxy_grpc_cancel', () => WasmResult.NotFound);
  define('proxy_grpc_close', () => WasmResult.NotFound);
  define('proxy_grpc_send', () => WasmResult.NotFound);

  // --- metrics --------------------------------------------------------------------------------

  define('proxy_define_metric', (type: number, np: number, ns: number, idPtr: number) => {
    const name = mem().readString(np, ns);
    if (name === undefined) return badMemory();
    const r = vm.metrics.define(type >>> 0, name);
    if (r.result !== WasmResult.Ok) return r.result;
    return mem().writeU32(idPtr, r.id!) ? WasmResult.Ok : badMemory();
  });
  define('proxy_increment_metric', (id: number, offset: bigint) => vm.metrics.increment(id >>> 0, BigInt(offset)));
  define('proxy_record_metric', (id: number, value: bigint) => vm.metrics.record(id >>> 0, BigInt(value)));
  define('proxy_get_metric', (id: number, resultPtr: number) => {
    const r = vm.metrics.get(id >>> 0);
    if (r.result !== WasmResult.Ok) return r.result;
    return mem().writeU64(resultPtr, r.value!) ? WasmResult.Ok : badMemory();
  });

  // --- emscripten leftovers Envoy still registers ---------------------------------------------

  define('pthread_equal', (a: number, b: number) => (a === b ? 1 : 0));
  define('emscripten_notify_memory_growth', () => undefined);

  return { env, ...Object.fromEntries(WASI_MODULES.map((m) => [m, wasiImports(vm, m)])) };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const outBuf = new Uint8Array(a.length + b.length);
  outBuf.set(a, 0);
  outBuf.set(b, a.length);
  return outBuf;
}
