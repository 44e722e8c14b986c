// The one seam between routekey and the proxy-wasm SDK (@solo-io/proxy-runtime, patched: see
// patches/ and the README). Routing logic imports from here, never from the SDK, so the SDK can
// be replaced piece by piece.
//
// The SDK's own header helpers decode every value into a UTF-16 string and abort on any host
// error; the per-request path uses the raw calls below instead: bytes in, bytes out, a result
// code instead of an abort, and host-owned memory that is a raw heap block (the patched malloc),
// not a GC object.

import * as imports from "@solo-io/proxy-runtime/assembly/imports";
import { free } from "@solo-io/proxy-runtime/assembly/malloc";
import {
  log as sdkLog,
  getLogLevel,
  LogLevelValues,
  WasmResultValues,
} from "@solo-io/proxy-runtime/assembly/runtime";

export {
  RootContext,
  Context,
  registerRootContext,
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
const METRIC_COUNTER: i32 = 0;

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

export function incrementCounter(id: i64): void {
  if (id >= 0) imports.proxy_increment_metric(<u32>id, 1);
}
