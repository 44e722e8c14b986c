// proxy_http_call (sent by the VM's environment, network or manual) and the gRPC calls, which are
// validated the way Envoy validates them and then refused: gRPC callouts are not emulated.

import type { ClusterResolver } from '../api.ts';
import type { CalloutRequest } from '../callouts.ts';
import type { RootContext } from '../contexts.ts';
import { HeaderMap } from '../headers.ts';
import type { ImportTable } from './host-calls.ts';
import { decodePairs } from './memory.ts';
import { WasmResult } from './types.ts';

/** What the callout calls need besides the calling context. */
export interface CalloutHost {
  clusters?: ClusterResolver;
  /** Starts the callout for a root context; answers its token. */
  startCallout(root: RootContext, request: CalloutRequest): number;
}

export function defineCalloutCalls(t: ImportTable, host: CalloutHost): void {
  t.define('proxy_http_call', (
    up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number,
    timeout: number, tokenPtr: number,
  ) => {
    const cluster = t.mem.readString(up, us);
    const body = t.mem.read(bp, bs);
    const rawHeaders = t.mem.read(hp, hs);
    const rawTrailers = t.mem.read(tp, ts);
    if (cluster === undefined || body === undefined || rawHeaders === undefined || rawTrailers === undefined) {
      return t.badMemory();
    }
    if (!t.mem.writeU32(tokenPtr, 0)) return t.badMemory();
    const r = t.root();
    if (!r) return t.badArg('no root context');
    if ((timeout | 0) < 0) return t.badArg(`negative timeout ${timeout | 0}`);
    const target = host.clusters?.(cluster);
    if (!target) return t.badArg(`unknown cluster "${cluster}"`);
    const headers = HeaderMap.fromPairs(decodePairs(rawHeaders, 'latin1') ?? []);
    for (const required of [':method', ':path', ':authority']) {
      if (headers.get(required) === undefined) return t.badArg(`callout headers lack ${required}`);
    }
    const token = host.startCallout(r, {
      cluster, host: target.host, port: target.port, headers: headers.toList(), body,
      trailers: HeaderMap.fromPairs(decodePairs(rawTrailers, 'latin1') ?? []).toList(), timeoutMs: timeout >>> 0,
    });
    return t.wrote(t.mem.writeU32(tokenPtr, token));
  });

  const grpcStart = (sp: number, ss: number): WasmResult => {
    const service = t.mem.readString(sp, ss);
    if (service === undefined) return t.badMemory();
    if (!host.clusters?.(service)) return WasmResult.ParseFailure;
    t.violation('bad-argument', 'gRPC callouts are not emulated');
    return WasmResult.InternalFailure;
  };
  t.define('proxy_grpc_call', (sp: number, ss: number) => grpcStart(sp, ss));
  t.define('proxy_grpc_stream', (sp: number, ss: number) => grpcStart(sp, ss));
  t.define('proxy_grpc_cancel', () => WasmResult.NotFound);
  t.define('proxy_grpc_close', () => WasmResult.NotFound);
  t.define('proxy_grpc_send', () => WasmResult.NotFound);
}
