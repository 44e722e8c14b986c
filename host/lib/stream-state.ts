// The per-stream data host functions read and write, one object per direction so that the
// request/response choice is made once (by the map, buffer or stream type the guest names).

import type { LocalReply } from './api.ts';
import { BufferType, HeaderMapType, type StreamType, type WasmResult } from './abi/types.ts';
import type { HeaderMap } from './headers.ts';
import type { PropertyBag } from './properties.ts';

/** What host functions may do to a stream (implemented by StreamImpl). */
export interface StreamEvents {
  continueStream(type: StreamType.Request | StreamType.Response): WasmResult;
  /** proxy_close_stream: Envoy resets the whole HTTP stream, whichever side is named. */
  closeStream(): WasmResult;
  /** A reply from the guest (header strings are byte strings). */
  sendLocalReply(reply: LocalReply): void;
  vmFailed(message: string): void;
}

export type Side = 'request' | 'response';

/** One direction of a stream: its header map and body buffer, and what the guest may do now. */
export class Direction {
  headers?: HeaderMap;
  /** The header map's mutable (and readable) window. */
  window = false;
  body: Uint8Array = new Uint8Array(0);
  /** The body buffer is readable (inside this direction's body callback). */
  bodyOpen = false;
  /** Paused from its headers callback, waiting for proxy_continue_stream. */
  paused = false;
  /** The last body callback asked to keep buffering (StopIterationAndBuffer/Watermark). */
  keepBuffering = false;

  constructor(
    readonly side: Side,
    readonly mapType: HeaderMapType,
    readonly bufferType: BufferType,
  ) {}
}

/** The per-stream data host functions read and write. Header maps hold byte strings. */
export class StreamState {
  readonly request = new Direction('request', HeaderMapType.RequestHeaders, BufferType.HttpRequestBody);
  readonly response = new Direction('response', HeaderMapType.ResponseHeaders, BufferType.HttpResponseBody);
  /** Inside on_log: header maps read-only. */
  accessLog = false;
  readonly written = new Map<string, Uint8Array>();
  routeCacheCleared = false;
  /** The guest's local reply (or the 503 of a failed VM), headers in the API's encoding. */
  localReply?: LocalReply;
  streamReset = false;

  constructor(
    readonly properties: PropertyBag,
    readonly events: StreamEvents,
  ) {}

  /** The direction whose request/response header map this map type names, if any. */
  byHeaderMap(type: number): Direction | undefined {
    return type === this.request.mapType ? this.request : type === this.response.mapType ? this.response : undefined;
  }

  /** The direction whose body this buffer type names, if any. */
  byBuffer(type: number): Direction | undefined {
    return type === this.request.bufferType ? this.request : type === this.response.bufferType ? this.response : undefined;
  }

  /** Closes both header windows (a continue, a local reply, a reset, a failure). */
  closeWindows(): void {
    this.request.window = this.response.window = false;
  }
}
