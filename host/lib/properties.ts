// proxy_get_property: paths are NUL-separated segments. Strings come back raw, integers as 8-byte
// little-endian, maps as serialized pairs. Missing → NotFound.
//
// request.* and response.* are read from the live header maps (byte strings, host/lib/headers.ts), so
// after a filter rewrites :authority, request.host answers the new value, as in Envoy.

import { encodePairs, utf8 } from './abi/memory.ts';
import type { HeaderMap } from './headers.ts';

export type PropertyValue = string | number | bigint | boolean | Uint8Array;

/** A header value (a byte string) as the bytes Envoy would answer. */
class HeaderBytes {
  constructor(readonly value: string) {}
}
export type PropertyBag = Record<string, string | number | Uint8Array>;

export interface PropertyScope {
  plugin: { name: string; rootId: string; vmId: string };
  /** Plugin-wide answers (node, xds.*, …), any context. */
  pluginProperties?: PropertyBag;
  /** Only for stream contexts. */
  stream?: {
    properties: PropertyBag;
    /** set_property values (Envoy keeps them in filter state as `wasm.<path>`). */
    written: Map<string, Uint8Array>;
    requestHeaders?: HeaderMap;
    responseHeaders?: HeaderMap;
  };
}

export function encodeValue(v: PropertyValue | HeaderBytes): Uint8Array {
  if (v instanceof HeaderBytes) return Buffer.from(v.value, 'latin1');
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8(v);
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  if (typeof v === 'boolean') return new Uint8Array([v ? 1 : 0]);
  if (typeof v === 'bigint') dv.setBigInt64(0, v, true);
  else if (Number.isInteger(v)) dv.setBigInt64(0, BigInt(v), true);
  else dv.setFloat64(0, v, true);
  return out;
}

/** Splits a raw path buffer into segments (a trailing NUL is tolerated). */
export function splitPath(raw: string): string[] {
  const parts = raw.split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

type Answer = PropertyValue | HeaderBytes | undefined;

function bytesOf(v: string | undefined): HeaderBytes | undefined {
  return v === undefined ? undefined : new HeaderBytes(v);
}

function fromHeaders(map: HeaderMap | undefined, rest: string[], named: Record<string, () => Answer>): Answer {
  if (!map) return undefined;
  const [field, ...more] = rest;
  if (field === undefined) return undefined;
  if (field === 'headers') {
    if (more.length === 0) return encodePairs(map.toList(), 'latin1');
    if (more.length === 1) return bytesOf(map.get(more[0]!));
    return undefined;
  }
  if (more.length > 0) return undefined;
  return named[field]?.();
}

/** Envoy's request attributes that come from the request headers. */
function requestField(map: HeaderMap | undefined, rest: string[]): Answer {
  const path = (): string | undefined => map?.get(':path');
  const header = (name: string) => () => bytesOf(map?.get(name));
  return fromHeaders(map, rest, {
    path: header(':path'),
    url_path: () => bytesOf(path()?.split('?')[0]),
    query: () => {
      const p = path();
      if (p === undefined) return undefined;
      const i = p.indexOf('?');
      return new HeaderBytes(i < 0 ? '' : p.slice(i + 1));
    },
    host: header(':authority'),
    method: header(':method'),
    scheme: header(':scheme'),
    id: header('x-request-id'),
    referer: header('referer'),
    useragent: header('user-agent'),
  });
}

function responseField(map: HeaderMap | undefined, rest: string[]): Answer {
  return fromHeaders(map, rest, {
    code: () => {
      const s = map?.get(':status');
      return s === undefined ? undefined : Number(s);
    },
  });
}

/** Resolves a property path in a scope; undefined = NotFound. */
export function resolveProperty(segments: string[], scope: PropertyScope): Uint8Array | undefined {
  if (segments.length === 0) return undefined;
  const dotted = segments.join('.');
  const s = scope.stream;
  if (s) {
    const own = s.properties[dotted];
    if (own !== undefined) return encodeValue(own);
    const written = s.written.get(dotted);
    if (written !== undefined) return written;
  }
  const top = segments[0]!;
  if (segments.length === 1) {
    if (top === 'plugin_name') return utf8(scope.plugin.name);
    if (top === 'plugin_root_id') return utf8(scope.plugin.rootId);
    if (top === 'plugin_vm_id') return utf8(scope.plugin.vmId);
  }
  const pluginWide = scope.pluginProperties?.[dotted];
  if (pluginWide !== undefined) return encodeValue(pluginWide);
  if (s) {
    const rest = segments.slice(1);
    let v: Answer;
    if (top === 'request') v = requestField(s.requestHeaders, rest);
    else if (top === 'response') v = responseField(s.responseHeaders, rest);
    if (v !== undefined) return encodeValue(v);
  }
  return undefined;
}
