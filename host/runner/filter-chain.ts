// The listener's wasm filters for one exchange, in Envoy's order: on_request_headers first to last
// (continue, or skipped by fail-open → next filter; stop → wait for the resume; local reply → sent;
// failed → 503 wasm_fail_stream), on_response_headers last to first, bodies the same ways
// (body.ts), then on_log, on_done, on_delete for every filter.

import type { HeaderList, HeadersOutcome, LocalReply, Plugin, Stream } from '../lib/index.ts';
import { failStreamReply } from '../lib/index.ts';
import { BodyPipeline } from './body.ts';

/** What the request-side chain asks for. */
export type RequestVerdict =
  /** Route with these headers; routeCacheCleared: a filter asked for the route to be picked again. */
  | { kind: 'continue'; headers: HeaderList; routeCacheCleared: boolean }
  | { kind: 'local'; reply: LocalReply }
  | { kind: 'reset' }
  /** The client left, or the idle timeout was answered, while a filter held the request. */
  | { kind: 'gone' };

/** What the response-side chain asks for. */
export type ResponseVerdict =
  | { kind: 'send'; headers: HeaderList }
  | { kind: 'local'; reply: LocalReply }
  | { kind: 'reset' };

/** Waits for a held request to resume; undefined when it never will. */
export type WaitForResume = <T>(resumed: Promise<T>) => Promise<T | undefined>;

export class FilterChain {
  private readonly streams: Stream[] = [];
  /** The request headers as the filters have left them so far (what the access log shows). */
  requestHeaders: HeaderList = [];

  constructor(private readonly plugins: Plugin[], private readonly log: (line: string) => void) {}

  /** One stream per filter, through on_request_headers in order. */
  async requestHeadersThrough(
    headers: HeaderList, properties: Record<string, string | number>, endOfStream: boolean, waitFor: WaitForResume,
  ): Promise<RequestVerdict> {
    this.requestHeaders = headers;
    let routeCacheCleared = false;
    for (const plugin of this.plugins) {
      let stream: Stream;
      try {
        stream = plugin.createStream(properties);
      } catch (e) {
        this.log(`wasm: cannot create a stream: ${(e as Error).message}`);
        return { kind: 'local', reply: failStreamReply() };
      }
      this.streams.push(stream);
      let o: HeadersOutcome | undefined = stream.onRequestHeaders(this.requestHeaders, endOfStream);
      if (o.action === 'stop' && !o.streamReset) {
        o = await waitFor(stream.whenRequestResumed());
        if (o === undefined) return { kind: 'gone' };
      }
      if (o.streamReset) return { kind: 'reset' };
      switch (o.action) {
        case 'continue':
        case 'skipped': // fail-open: Envoy continues with the headers as they are
        case 'stop': // still held after a resume: Envoy would keep waiting; we go on with what we have
          this.requestHeaders = o.headers;
          routeCacheCleared ||= o.routeCacheCleared;
          break;
        case 'localReply':
          return { kind: 'local', reply: o.localReply! };
        case 'failed':
          return { kind: 'local', reply: o.localReply ?? failStreamReply() };
      }
    }
    return { kind: 'continue', headers: this.requestHeaders, routeCacheCleared };
  }

  /** on_response_headers in reverse filter order (Envoy's encoder chain). */
  responseHeadersThrough(headers: HeaderList, endOfStream: boolean): ResponseVerdict {
    let current = headers;
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const o = this.streams[i]!.onResponseHeaders(current, endOfStream);
      if (o.streamReset) return { kind: 'reset' };
      switch (o.action) {
        case 'continue':
        case 'skipped':
        case 'stop': // there is no way to resume a response here; go on with what the filter left
          current = o.headers;
          break;
        case 'localReply':
          return { kind: 'local', reply: o.localReply! };
        case 'failed':
          return { kind: 'local', reply: o.localReply ?? failStreamReply() };
      }
    }
    return { kind: 'send', headers: current };
  }

  requestBody(): BodyPipeline {
    return new BodyPipeline(this.streams, 'request');
  }

  responseBody(): BodyPipeline {
    return new BodyPipeline([...this.streams].reverse(), 'response');
  }

  /** on_log, on_done, on_delete for every stream; one failing does not keep the others from theirs. */
  complete(): void {
    for (const s of this.streams) {
      try {
        s.complete();
      } catch (e) {
        this.log(`wasm: completing a stream failed: ${(e as Error).message}`);
      }
    }
  }
}
