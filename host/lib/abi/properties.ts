// proxy_get_property / proxy_set_property: the plugin's, the stream's and the live header maps'
// answers (host/lib/properties.ts resolves the paths); writes land in the stream's filter state.

import type { PropertyBag } from '../properties.ts';
import { resolveProperty, splitPath } from '../properties.ts';
import type { ImportTable } from './host-calls.ts';
import { WasmResult } from './types.ts';

/** What the property calls need besides the calling context. */
export interface PropertyHost {
  plugin: { name: string; rootId: string; vmId: string };
  pluginProperties?: PropertyBag;
}

export function definePropertyCalls(t: ImportTable, host: PropertyHost): void {
  t.define('proxy_get_property', (pp: number, ps: number, vpp: number, vsp: number) => {
    const raw = t.mem.read(pp, ps);
    if (raw === undefined) return t.badMemory();
    const c = t.ctx();
    const value = resolveProperty(splitPath(Buffer.from(raw).toString('latin1')), {
      plugin: host.plugin,
      pluginProperties: host.pluginProperties,
      stream: c.kind === 'stream'
        ? {
          properties: c.state.properties, written: c.state.written,
          requestHeaders: c.state.request.headers, responseHeaders: c.state.response.headers,
        }
        : undefined,
    });
    if (value === undefined) return WasmResult.NotFound;
    return t.out(value, vpp, vsp);
  });

  t.define('proxy_set_property', (kp: number, ks: number, vp: number, vs: number) => {
    const key = t.mem.read(kp, ks);
    const value = t.mem.read(vp, vs);
    if (key === undefined || value === undefined) return t.badMemory();
    const s = t.stream();
    if (!s) return WasmResult.NotFound;
    s.state.written.set(splitPath(Buffer.from(key).toString('latin1')).join('.'), value);
    return WasmResult.Ok;
  });
}
