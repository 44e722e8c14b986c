// The one seam between routekey and the proxy-wasm SDK (@solo-io/proxy-runtime, patched: see
// patches/ and the README). Routing logic imports from here, never from the SDK, so the SDK can
// be replaced piece by piece. (exports.ts, the other file that imports the SDK, only wraps its
// exports with a collection.)
//
// The SDK's own header helpers decode every value into a UTF-16 string and abort on any host
// error; the per-request path uses the raw calls below instead: bytes in, bytes out, a result
// code instead of an abort, and host-owned memory that is a raw heap block (the patched malloc),
// not a GC object.

import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { free } from "@solo-io/proxy-runtime/assembly/malloc";
import { proxy_on_context_create as sdkOnContextCreate } from "@solo-io/proxy-runtime/assembly/exports";
import {
  log as sdkLog,
  getLogLevel,
  refreshLogLevel as sdkRefreshLogLevel,
  registerRootContext as sdkRegisterRootContext,
  RootContext,
  LogLevelValues,
  WasmResultValues,
} from "@solo-io/proxy-runtime/assembly/runtime";

export {
  RootContext,
  Context,
  FilterHeadersStatusValues,
  LogLevelValues,
  WasmResultValues,
} from "@solo-io/proxy-runtime/assembly/runtime";

export const enum HeaderMap {
  Request = 0,
  Response = 2,
  CalloutResponse = 6,
}

const BUFFER_PLUGIN_CONFIGURATION: i32 = 7;
const BUFFER_HTTP_CALL_RESPONSE_BODY: i32 = 4;
const METRIC_COUNTER: i32 = 0;
const METRIC_GAUGE: i32 = 1;

// Out-parameters for host calls: fixed addresses in static memory, so calls allocate nothing.
const outPtr = memory.data(8);
const outLen = memory.data(8);

// --- logging ---

/** True when a message at `level` would be kept: build log strings only behind this. */
export function logEnabled(level: LogLevelValues): bool {
  return level >= getLogLevel();
}

export function log(level: LogLevelValues, message: string): void {
  sdkLog(level, message);
}

/**
 * Re-reads the host's log level (one host call). The SDK reads it at VM start and on configure;
 * reading it again now and then is routekey's choice (the root's tick, filter/loglevel.ts).
 */
export function refreshLogLevel(): void {
  sdkRefreshLogLevel();
}

// --- host-owned bytes ---

/** Where the last successful raw read put its bytes (a host block: release with freeHostBytes). */
export function hostBytesPtr(): usize { return load<usize>(outPtr); }
export function hostBytesLen(): usize { return load<usize>(outLen); }

export function freeHostBytes(ptr: usize): void {
  if (ptr != 0) free(ptr);
}

// --- headers ---

/** Reads the first value of a header; on Ok the bytes are at hostBytesPtr()/hostBytesLen(). */
export function getHeaderRaw(map: HeaderMap, namePtr: usize, nameLen: usize): bool {
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  let r = imports.proxy_get_header_map_value(<i32>map, namePtr, nameLen, outPtr, outLen);
  return r == WasmResultValues.Ok;
}

export function replaceHeaderRaw(map: HeaderMap, namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): u32 {
  return imports.proxy_replace_header_map_value(<i32>map, namePtr, nameLen, valuePtr, valueLen);
}

export function addHeaderRaw(map: HeaderMap, namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): u32 {
  return imports.proxy_add_header_map_value(<i32>map, namePtr, nameLen, valuePtr, valueLen);
}

export function removeHeaderRaw(map: HeaderMap, namePtr: usize, nameLen: usize): u32 {
  return imports.proxy_remove_header_map_value(<i32>map, namePtr, nameLen);
}

// --- local reply ---

/**
 * proxy_send_local_response: `status`, %RESPONSE_CODE_DETAILS%, the body and serialized header
 * pairs (Envoy adds them, then content-length), no gRPC status (-1). Envoy sends it after the
 * callback returns, which must then return StopIteration.
 */
export function sendLocalResponseRaw(status: u32, detailsPtr: usize, detailsLen: usize, bodyPtr: usize, bodyLen: usize,
                                     pairsPtr: usize, pairsLen: usize): u32 {
  return imports.proxy_send_local_response(status, detailsPtr, detailsLen, bodyPtr, bodyLen, pairsPtr, pairsLen, 0xFFFFFFFF);
}

// --- configuration ---

/**
 * Reads the plugin configuration; on true its bytes are at hostBytesPtr()/hostBytesLen(), left
 * where the host put them (a raw block: release with freeHostBytes). False when there is none or
 * the host refused. Not copied: a configuration can be megabytes, and memory never shrinks.
 */
export function readPluginConfiguration(size: u32): bool {
  if (size == 0) return false;
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  let r = imports.proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, size, outPtr, outLen);
  return r == WasmResultValues.Ok && load<usize>(outPtr) != 0;
}

// --- timer ---

/** Arms (or re-arms) this root context's tick; 0 disarms it. */
export function setTickPeriod(milliseconds: u32): void {
  imports.proxy_set_tick_period_milliseconds(milliseconds);
}

// --- metrics ---

/** Defines a counter; returns its id, or -1 when the host refused. */
export function defineCounterRaw(namePtr: usize, nameLen: usize): i64 {
  let r = imports.proxy_define_metric(METRIC_COUNTER, namePtr, nameLen, outPtr);
  return r == WasmResultValues.Ok ? <i64>load<u32>(outPtr) : -1;
}

export function defineCounter(name: string): i64 {
  let bytes = String.UTF8.encode(name);
  return defineCounterRaw(changetype<usize>(bytes), <usize>bytes.byteLength);
}

export function incrementCounter(id: i64, by: i64 = 1): void {
  if (id >= 0) imports.proxy_increment_metric(<u32>id, by);
}

/** Defines a gauge; returns its id, or -1 when the host refused. */
export function defineGauge(name: string): i64 {
  let bytes = String.UTF8.encode(name);
  let r = imports.proxy_define_metric(METRIC_GAUGE, changetype<usize>(bytes), <usize>bytes.byteLength, outPtr);
  return r == WasmResultValues.Ok ? <i64>load<u32>(outPtr) : -1;
}

export function setGauge(id: i64, value: u64): void {
  if (id >= 0) imports.proxy_record_metric(<u32>id, value);
}

// --- clock and randomness (the module may not import env.Date.now or env.seed: Envoy has neither) ---

/** The host's wall clock in milliseconds (0 when the host refused). */
export function nowMs(): u64 {
  store<u64>(outPtr, 0);
  imports.proxy_get_current_time_nanoseconds(outPtr);
  return load<u64>(outPtr) / 1000000;
}

// WASI's random_get: Envoy provides it (and host/lib); nothing else in the module imports WASI.
@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

/** 64 random bits from the host (WASI random_get); mixed with the clock if the host refused. */
export function randomU64(): u64 {
  store<u64>(outPtr, 0);
  if (wasi_random_get(outPtr, 8) != 0) store<u64>(outPtr, nowMs() * 0x9E3779B97F4A7C15);
  return load<u64>(outPtr);
}

// --- HTTP callouts ---

/** The token of the last httpCall that returned Ok. */
export function calloutToken(): u32 { return load<u32>(outPtr); }

/**
 * proxy_http_call to Envoy cluster `cluster` with serialized header pairs (request.ts), no body,
 * no trailers. Returns the host's result code; on Ok the token is calloutToken().
 */
export function httpCallRaw(clusterPtr: usize, clusterLen: usize, pairsPtr: usize, pairsLen: usize, timeoutMs: u32): u32 {
  store<u32>(outPtr, 0);
  return imports.proxy_http_call(clusterPtr, clusterLen, pairsPtr, pairsLen, 0, 0, 0, 0, timeoutMs, outPtr);
}

/**
 * Reads the callout response body (only inside on_http_call_response); on true its bytes are at
 * hostBytesPtr()/hostBytesLen() (a raw block: release with freeHostBytes).
 */
export function readCalloutBody(size: u32): bool {
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  if (size == 0) return false;
  let r = imports.proxy_get_buffer_bytes(BUFFER_HTTP_CALL_RESPONSE_BODY, 0, size, outPtr, outLen);
  return r == WasmResultValues.Ok && load<usize>(outPtr) != 0;
}

// --- shared data (process-wide per vm_id, with CAS) ---

const sharedCasOut = memory.data(4);

/** The CAS of the last getSharedDataRaw that returned Ok. */
export function sharedCas(): u32 { return load<u32>(sharedCasOut); }

/** Reads a shared-data value; on Ok its bytes are at hostBytesPtr()/hostBytesLen() (free them). */
export function getSharedDataRaw(keyPtr: usize, keyLen: usize): u32 {
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  store<u32>(sharedCasOut, 0);
  return imports.proxy_get_shared_data(keyPtr, keyLen, outPtr, outLen, sharedCasOut);
}

/** Writes a shared-data value; `cas` 0 = unconditional. The host's result (CasMismatch = 8). */
export function setSharedDataRaw(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): u32 {
  return imports.proxy_set_shared_data(keyPtr, keyLen, valuePtr, valueLen, cas);
}

// --- root contexts ---
//
// Envoy and Istio let users pick the root id (`root_id`, the host's plugin_root_id); the SDK
// finds a root context's factory by that id alone and aborts on any other. routekey registers one
// root context, and it should serve whatever id a deployment chose: when a root context is
// created under an id that was not registered and exactly one was, that one is registered under
// it too (with a warning, each time, as a misnamed id deserves). The SDK is not changed for this:
// routekey's module exports proxy_on_context_create (index.ts), which does this, then the SDK's.

const PLUGIN_ROOT_ID = "plugin_root_id";

/** Ids registered by routekey, and the factory of the last one. */
const rootIds = new Array<string>();
let soleFactory: ((contextId: u32) => RootContext) | null = null;

export function registerRootContext(factory: (contextId: u32) => RootContext, id: string): void {
  rootIds.push(id);
  soleFactory = factory;
  sdkRegisterRootContext(factory, id);
}

/** The export Envoy calls for each new context: root contexts get the root-id fallback above. */
export function proxy_on_context_create(contextId: u32, rootContextId: u32): void {
  if (rootContextId == 0) adoptRootId();
  sdkOnContextCreate(contextId, rootContextId);
}

function adoptRootId(): void {
  // None or several registered: the SDK decides (and refuses an unknown id).
  if (rootIds.length != 1) return;
  let registered = unchecked(rootIds[0]);
  let id = pluginRootId();
  if (id === null || id == registered) return;
  log(LogLevelValues.warn, "root id '" + id + "' is not registered; using '" + registered + "'");
  let factory = soleFactory;
  if (factory !== null) sdkRegisterRootContext(factory, id);
}

/** The host's plugin_root_id, or null when the host has none to give (the SDK then decides). */
function pluginRootId(): string | null {
  let path = String.UTF8.encode(PLUGIN_ROOT_ID);
  store<usize>(outPtr, 0);
  store<usize>(outLen, 0);
  let r = imports.proxy_get_property(changetype<usize>(path), <usize>path.byteLength, outPtr, outLen);
  if (r != WasmResultValues.Ok) return null;
  let ptr = load<usize>(outPtr);
  let id = String.UTF8.decodeUnsafe(ptr, load<usize>(outLen));
  freeHostBytes(ptr);
  return id;
}
