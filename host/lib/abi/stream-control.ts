// Stream control: continue/close a stream (proxy_continue_request/response under ABI 0.1.0), a
// local reply, clearing the route cache, and the context switch (proxy_set_effective_context).

import { decodePairs } from './memory.ts';
import type { ImportTable } from './host-calls.ts';
import { STREAM_TYPE_MAX, StreamType, WasmResult } from './types.ts';

/** What stream control needs besides the calling context. */
export interface StreamControlHost {
  setEffectiveContext(id: number): WasmResult;
}

export function defineStreamControlCalls(t: ImportTable, host: StreamControlHost): void {
  /**
   * proxy_continue_stream / proxy_close_stream on an HTTP stream, as Envoy's Context answers:
   * request/response act on the stream; downstream/upstream have no network callbacks there
   * (continue: Ok / Unimplemented, close: Ok); beyond the enum → BadArgument.
   */
  const streamControl = (type: number, act: 'continue' | 'close'): WasmResult => {
    if (type > STREAM_TYPE_MAX) return t.badArg(`stream type ${type}`);
    const s = t.stream();
    if (!s) {
      t.wrongPhase('a stream');
      return WasmResult.Ok;
    }
    if (type === StreamType.Request || type === StreamType.Response) {
      return act === 'continue' ? s.state.events.continueStream(type) : s.state.events.closeStream();
    }
    return act === 'continue' && type === StreamType.Upstream ? WasmResult.Unimplemented : WasmResult.Ok;
  };
  const continueStream = (type: number) => streamControl(type, 'continue');
  const clearRouteCache = (): void => {
    const s = t.stream();
    if (s) s.state.routeCacheCleared = true;
  };

  if (t.vm.abi === '0.1.0') {
    t.define('proxy_continue_request', () => continueStream(StreamType.Request));
    t.define('proxy_continue_response', () => continueStream(StreamType.Response));
    t.define('proxy_clear_route_cache', () => {
      clearRouteCache();
      return WasmResult.Ok;
    });
  } else {
    t.define('proxy_continue_stream', continueStream);
    t.define('proxy_close_stream', (type: number) => streamControl(type, 'close'));
  }

  t.define('proxy_send_local_response', (
    status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number,
  ) => {
    const details = t.mem.readString(dp, ds);
    const body = t.mem.read(bp, bs);
    const headers = t.mem.read(hp, hs);
    if (details === undefined || body === undefined || headers === undefined) return t.badMemory();
    const s = t.stream();
    if (!s) {
      t.wrongPhase('a stream to reply on');
      return WasmResult.Ok;
    }
    if (s.state.localReply) {
      // Envoy answers Ok and sends the first reply only (1.27: local_reply_sent_).
      t.violation('bad-argument', 'a second local reply in one stream is dropped');
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

  t.define('proxy_set_effective_context', (id: number) => host.setEffectiveContext(id >>> 0));
  t.define('proxy_done', () => WasmResult.NotFound);

  // Envoy's one foreign function an HTTP filter may call here: clear_route_cache.
  t.define('proxy_call_foreign_function', (np: number, ns: number, ap: number, as: number, rpp: number, rsp: number) => {
    const name = t.mem.readString(np, ns);
    const args = t.mem.read(ap, as);
    if (name === undefined || args === undefined) return t.badMemory();
    if (name !== 'clear_route_cache') return WasmResult.NotFound;
    clearRouteCache();
    if (rpp && !t.mem.writeU32(rpp, 0)) return t.badMemory();
    if (rsp && !t.mem.writeU32(rsp, 0)) return t.badMemory();
    return WasmResult.Ok;
  });
}
