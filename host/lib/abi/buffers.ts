// proxy_*_buffer_*: the stream's body (inside its body callback), a callout's response body (inside
// on_http_call_response), the VM and plugin configurations (the latter only while configuring).

import { EMPTY, type ImportTable } from './host-calls.ts';
import { BUFFER_TYPE_MAX, BufferType, WasmResult } from './types.ts';

/** What the buffer calls need besides the calling context. */
export interface BufferHost {
  vmConfiguration: Uint8Array;
}

/** A buffer as get/set_buffer_bytes see it. */
interface BufferView {
  data: Uint8Array;
  /** Read outside its window: Envoy answers an empty buffer (already reported as wrong-phase). */
  unavailable?: boolean;
  set?: (start: number, length: number, data: Uint8Array) => WasmResult;
}

/** A body that set_buffer_bytes may prepend to, replace the start of, or append to. */
function bodyView(holder: { body: Uint8Array }): BufferView {
  return {
    data: holder.body,
    set: (start, length, data) => {
      const body = holder.body;
      if (start === 0) holder.body = concat(data, body.subarray(Math.min(length, body.length)));
      else if (start >= body.length) holder.body = concat(body, data);
      else return WasmResult.BadArgument;
      return WasmResult.Ok;
    },
  };
}

export function defineBufferCalls(t: ImportTable, host: BufferHost): void {
  const buffer = (type: number): BufferView | undefined => {
    const c = t.ctx();
    switch (type) {
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody: {
        const d = c.kind === 'stream' ? c.state.byBuffer(type) : undefined;
        if (!d?.bodyOpen) {
          t.wrongPhase(type === BufferType.HttpRequestBody ? 'request body' : 'response body');
          return { data: EMPTY, unavailable: true };
        }
        return bodyView(d);
      }
      case BufferType.HttpCallResponseBody: {
        const r = t.root()?.httpCallResponse;
        if (!r) {
          t.wrongPhase('http call response body');
          return undefined;
        }
        return { data: r.body };
      }
      case BufferType.VmConfiguration:
        return { data: host.vmConfiguration };
      case BufferType.PluginConfiguration: {
        const r = c.kind === 'root' ? c : undefined;
        if (!r || !r.configuring) {
          t.wrongPhase('plugin configuration');
          return undefined;
        }
        return { data: r.configuration };
      }
      default:
        return { data: EMPTY };
    }
  };

  t.define('proxy_get_buffer_status', (type: number, lengthPtr: number, flagsPtr: number) => {
    if (type > BUFFER_TYPE_MAX) return t.badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    return t.wrote(t.mem.writeU32(lengthPtr, b.data.length) && t.mem.writeU32(flagsPtr, 0));
  });

  t.define('proxy_get_buffer_bytes', (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
    if (type > BUFFER_TYPE_MAX) return t.badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    start >>>= 0;
    length >>>= 0;
    const size = b.data.length;
    if (b.unavailable) return start > size ? WasmResult.BadArgument : WasmResult.Ok;
    if (start + length > size) {
      t.violation('read-past-end', `read [${start}, ${start + length}) of buffer ${type} holding ${size} bytes`);
      if (start > size) return WasmResult.BadArgument;
      length = size - start;
    }
    if (length > 0) return t.out(b.data.slice(start, start + length), ptrPtr, sizePtr);
    return WasmResult.Ok;
  });

  t.define('proxy_set_buffer_bytes', (type: number, start: number, length: number, dp: number, ds: number) => {
    if (type > BUFFER_TYPE_MAX) return t.badArg(`buffer type ${type}`);
    const b = buffer(type);
    if (!b) return WasmResult.NotFound;
    const data = t.mem.read(dp, ds);
    if (data === undefined) return t.badMemory();
    if (!b.set) return t.badArg(`buffer ${type} is read-only`);
    return b.set(start >>> 0, length >>> 0, data);
  });

  if (t.vm.abi === '0.1.0') {
    // ABI 0.1.0 reads the plugin configuration through its own call (empty outside configuring).
    t.define('proxy_get_configuration', (ptrPtr: number, sizePtr: number) => {
      const r = t.root();
      return t.out(r?.configuring ? r.configuration : EMPTY, ptrPtr, sizePtr);
    });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const outBuf = new Uint8Array(a.length + b.length);
  outBuf.set(a, 0);
  outBuf.set(b, a.length);
  return outBuf;
}
