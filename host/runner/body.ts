// Body chunks through the filters, in order (request) or reverse order (response, the caller
// passes the streams reversed), and on to the next hop.

import type { Readable, Writable } from 'node:stream';
import type { BodyOutcome, LocalReply, Stream } from '../lib/index.ts';
import { failStreamReply } from '../lib/index.ts';

export type BodyStep =
  /** Pass this on (the last filter's view of the body). */
  | { kind: 'data'; data: Uint8Array }
  /** A filter holds the data (it buffers it, the host hands it the whole body next time). */
  | { kind: 'hold' }
  | { kind: 'local'; reply: LocalReply }
  /** A VM failed under fail_closed: Envoy's 503 wasm_fail_stream. */
  | { kind: 'failed'; reply: LocalReply };

/**
 * A filter that stops keeps buffering and nothing passes it until it continues; at the end of the
 * stream whatever it holds goes on — Envoy would wait for proxy_continue_stream, which body
 * callbacks cannot be resumed by here. A failed VM under fail_open ('skipped') is a Continue with
 * the body as it is.
 */
export class BodyPipeline {
  constructor(private readonly streams: Stream[], private readonly which: 'request' | 'response') {}

  push(chunk: Uint8Array, end: boolean): BodyStep {
    let data = chunk;
    for (const s of this.streams) {
      const o: BodyOutcome = this.which === 'request' ? s.onRequestBody(data, end) : s.onResponseBody(data, end);
      if (o.action === 'failed') return { kind: 'failed', reply: o.localReply ?? failStreamReply() };
      if (o.localReply) return { kind: 'local', reply: o.localReply };
      if (o.action === 'stop' && !end) return { kind: 'hold' };
      data = o.body ?? data;
    }
    return { kind: 'data', data };
  }
}

/** Writes a chunk on; while `sink` is full, `source` is paused (both directions stream this way). */
export function writeOrPause(sink: Writable, data: Uint8Array, source: Readable): void {
  if (sink.write(data)) return;
  source.pause();
  sink.once('drain', () => source.resume());
}
