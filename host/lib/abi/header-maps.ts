// proxy_*_header_map_*: the request/response header maps of a stream (inside their windows, read-only
// in on_log) and the response headers/trailers of an HTTP callout (inside on_http_call_response).
// Keys and values cross as byte strings (host/lib/headers.ts): bytes in guest memory are copied
// unchanged to and from the maps.

import type { HeaderMap } from '../headers.ts';
import { EMPTY, type ImportTable } from './host-calls.ts';
import { decodePairs, encodePairs } from './memory.ts';
import { HEADER_MAP_TYPE_MAX, HeaderMapType, WasmResult } from './types.ts';

export function defineHeaderMapCalls(t: ImportTable): void {
  const legacy = t.vm.abi === '0.1.0';

  /** Envoy's getConstMap; `logPhase` tells a missing map in on_log apart. */
  const constMap = (type: number): { map?: HeaderMap; logPhase: boolean } => {
    const c = t.ctx();
    if (type === HeaderMapType.HttpCallResponseHeaders || type === HeaderMapType.HttpCallResponseTrailers) {
      const r = t.root()?.httpCallResponse;
      const map = r ? (type === HeaderMapType.HttpCallResponseHeaders ? r.headers : r.trailers) : undefined;
      return { map, logPhase: false };
    }
    if (c.kind !== 'stream') return { logPhase: false };
    const s = c.state;
    if (s.accessLog) return { map: s.byHeaderMap(type)?.headers, logPhase: true };
    return { map: mutableMap(type), logPhase: false };
  };

  /** Envoy's getMap: only request/response headers, only inside their window. */
  const mutableMap = (type: number): HeaderMap | undefined => {
    const s = t.stream()?.state;
    if (!s || s.accessLog) return undefined;
    const d = s.byHeaderMap(type);
    return d?.window ? d.headers : undefined;
  };

  const withMutableMap = (type: number, change: (m: HeaderMap) => void): WasmResult => {
    const map = mutableMap(type);
    if (!map) {
      t.wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    change(map);
    // ABI <= 0.2.1: any request-header change clears the route cache (Envoy >= 1.17).
    const s = t.stream()?.state;
    if (s && type === HeaderMapType.RequestHeaders) s.routeCacheCleared = true;
    return WasmResult.Ok;
  };

  t.define('proxy_get_header_map_value', (type: number, kp: number, ks: number, vpp: number, vsp: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
    const key = t.mem.readByteString(kp, ks);
    if (key === undefined) return t.badMemory();
    const { map, logPhase } = constMap(type);
    if (!map) {
      if (logPhase) return legacy ? t.out(EMPTY, vpp, vsp) : WasmResult.NotFound;
      t.wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    const value = map.get(key);
    if (value === undefined) return legacy ? t.out(EMPTY, vpp, vsp) : WasmResult.NotFound;
    return t.out(Buffer.from(value, 'latin1'), vpp, vsp);
  });

  const defineChange = (name: string, change: (m: HeaderMap, key: string, value: string) => void): void => {
    t.define(name, (type: number, kp: number, ks: number, vp: number, vs: number) => {
      if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
      const key = t.mem.readByteString(kp, ks);
      const value = t.mem.readByteString(vp, vs);
      if (key === undefined || value === undefined) return t.badMemory();
      return withMutableMap(type, (m) => change(m, key, value));
    });
  };
  defineChange('proxy_add_header_map_value', (m, k, v) => m.add(k, v));
  defineChange('proxy_replace_header_map_value', (m, k, v) => m.replace(k, v));

  t.define('proxy_remove_header_map_value', (type: number, kp: number, ks: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
    const key = t.mem.readByteString(kp, ks);
    if (key === undefined) return t.badMemory();
    return withMutableMap(type, (m) => m.remove(key));
  });

  t.define('proxy_get_header_map_pairs', (type: number, ptrPtr: number, sizePtr: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
    const { map, logPhase } = constMap(type);
    if (!map && !logPhase) t.wrongPhase(`header map ${type}`);
    const pairs = map?.toList() ?? [];
    return t.out(pairs.length === 0 ? EMPTY : encodePairs(pairs, 'latin1'), ptrPtr, sizePtr);
  });

  t.define('proxy_set_header_map_pairs', (type: number, ptr: number, size: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
    const data = t.mem.read(ptr, size);
    if (data === undefined) return t.badMemory();
    const pairs = decodePairs(data, 'latin1');
    if (pairs === null) t.violation('bad-argument', 'malformed or oversized pairs read as an empty map');
    return withMutableMap(type, (m) => {
      m.clear();
      for (const [k, v] of pairs ?? []) m.add(k, v);
    });
  });

  t.define('proxy_get_header_map_size', (type: number, resultPtr: number) => {
    if (type > HEADER_MAP_TYPE_MAX) return t.badArg(`map type ${type}`);
    const map = mutableMap(type);
    if (!map) {
      t.wrongPhase(`header map ${type}`);
      return WasmResult.BadArgument;
    }
    return t.wrote(t.mem.writeU32(resultPtr, map.byteSize()));
  });
}
