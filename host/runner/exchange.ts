// One request/response pair through a listener, the way Envoy's connection manager and router
// handle it, as a sequence of phases, each its own module:
//
//   downstream.ts        the client's request as Envoy's headers (Host → :authority, + :path
//                        :method :scheme, x-request-id, x-forwarded-proto)
//   filter-chain.ts      on_request_headers through the wasm filters (pauses, local replies)
//   route-selection.ts   virtual host by :authority, route by :path, cluster and endpoint — re-picked
//                        from the filters' headers when a filter cleared the route cache
//   upstream-call.ts     the request to the endpoint, its timeouts, its response headers
//   filter-chain.ts      on_response_headers in reverse order; bodies both ways (body.ts)
//   local-reply.ts       what the proxy answers itself when any of these cannot go on
//   then on_log, on_done, on_delete for every filter, and the access-log line.
//
// This class holds what the phases share: the client's connection, the filters' streams and the
// access-log record (exchange-record.ts).

import type http from 'node:http';
import type { HeaderList } from '../lib/index.ts';
import { formatAccessLog } from './access-log.ts';
import { DownstreamResponse, readRequest } from './downstream.ts';
import { ExchangeRecord } from './exchange-record.ts';
import { FilterChain } from './filter-chain.ts';
import type { ListenerContext } from './listener-context.ts';
import {
  type GeneratedReply, replyBytes, replyHeaders, streamIdleTimeout, upstreamOverflow, upstreamReset, upstreamTimeout,
} from './local-reply.ts';
import { type RouteDecision, selectRoute } from './route-selection.ts';
import { UpstreamCall, type UpstreamFailure } from './upstream-call.ts';

/** Envoy's default stream_idle_timeout, used while a filter holds the request. */
const STREAM_IDLE_TIMEOUT_MS = 300_000;
const EMPTY = new Uint8Array(0);

type Forward = Extract<RouteDecision, { kind: 'forward' }>;

export class Exchange {
  private readonly record = new ExchangeRecord();
  private readonly filters: FilterChain;
  private readonly response: DownstreamResponse;
  private finished = false;
  /** The client left before the response was complete. */
  private aborted = false;
  private upstream?: UpstreamCall;
  private readonly closed: Promise<void>;

  constructor(private readonly ctx: ListenerContext, private readonly req: http.IncomingMessage, res: http.ServerResponse) {
    this.filters = new FilterChain(ctx.plugins, (line) => ctx.log(line));
    this.response = new DownstreamResponse(res, (line) => ctx.log(line));
    this.closed = new Promise((resolve) => {
      this.response.onClose((early) => {
        if (early) {
          this.aborted = true;
          this.record.flagIfNone('DC');
          this.upstream?.abandon();
        }
        this.finish();
        resolve();
      });
    });
  }

  async run() {
    this.ctx.stat('downstream_rq_total');
    const request = readRequest(this.req, this.ctx.listener);
    const verdict = await this.filters.requestHeadersThrough(
      request.headers, request.properties, !request.hasBody, (resumed) => this.waitFor(resumed));
    if (verdict.kind === 'gone') return; // client gone or idle timeout already answered
    if (verdict.kind === 'reset') return this.reset('wasm_close_stream');
    if (verdict.kind === 'local') return this.sendLocal(verdict.reply);

    // Envoy picks the route before the filters run; a filter that cleared the route cache
    // (ABI ≤ 0.2.1) has it picked again from the headers it left.
    const decision = selectRoute(this.ctx, verdict.routeCacheCleared ? verdict.headers : request.headers);
    this.record.routeName = decision.route?.name;
    this.record.cluster = decision.cluster;
    if (decision.kind === 'reply') {
      if (decision.flags) this.record.responseFlags = decision.flags;
      return this.sendLocal(decision.reply);
    }
    this.forward(decision, verdict.headers, request.hasBody);
  }

  /** Resolves with the promise's value, or undefined when the client leaves or the stream idles out. */
  private async waitFor<T>(p: Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<'idle'>((resolve) => {
      timer = setTimeout(() => resolve('idle'), STREAM_IDLE_TIMEOUT_MS);
    });
    try {
      const r = await Promise.race([p, this.closed.then(() => 'closed' as const), idle]);
      if (r === 'closed') return undefined;
      if (r === 'idle') {
        this.sendLocal(streamIdleTimeout());
        return undefined;
      }
      return r as T;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The request to the upstream, its body streamed through on_request_body as it comes. */
  private forward(target: Forward, headers: HeaderList, hasBody: boolean) {
    const { cluster, endpoint } = target;
    this.record.upstreamHost = `${endpoint.address}:${endpoint.port}`;
    const pool = this.ctx.pools.of(cluster);
    const slot = pool.admit(endpoint);
    if (!slot) return this.upstreamFailed({ kind: 'overflow' }, target);
    const call = new UpstreamCall(
      { ...target, agent: pool.agent, slot }, headers, hasBody, this.ctx.listener.serverName,
      (name) => this.ctx.inc(`cluster.${cluster.name}.${name}`),
      { response: (res, list, noBody) => this.upstreamResponded(res, list, noBody), failed: (f) => this.upstreamFailed(f, target) },
    );
    this.upstream = call;
    if (!hasBody) return call.end();
    const requestBody = this.filters.requestBody();
    const onRequestBody = (chunk: Uint8Array, end: boolean) => {
      if (call.destroyed) return;
      const r = requestBody.push(chunk, end);
      if (r.kind === 'hold') return;
      if (r.kind !== 'data') {
        call.abandon();
        this.req.resume();
        this.sendLocal(r.reply);
        return;
      }
      if (r.data.length > 0) call.write(r.data, this.req);
      if (end) call.end();
    };
    this.req.on('data', (chunk: Buffer) => {
      this.record.bytesReceived += chunk.length;
      onRequestBody(chunk, false);
    });
    this.req.on('end', () => onRequestBody(EMPTY, true));
  }

  /** The upstream's response headers through on_response_headers, then its body to the client. */
  private upstreamResponded(upRes: http.IncomingMessage, headers: HeaderList, noBody: boolean) {
    const verdict = this.filters.responseHeadersThrough(headers, noBody);
    if (verdict.kind !== 'send') {
      upRes.resume();
      this.upstream?.abandon();
      if (verdict.kind === 'local') this.sendLocal(verdict.reply, false);
      else this.reset('wasm_close_stream');
      return;
    }
    this.record.details = 'via_upstream';
    if (!this.response.writeHead(verdict.headers)) return;
    this.pipeResponseBody(upRes, noBody);
  }

  /** Envoy's answer to a failed upstream: a local reply while it can, a dropped connection after. */
  private upstreamFailed(f: UpstreamFailure, { cluster, endpoint }: Forward) {
    if (f.kind === 'timeout') {
      this.record.responseFlags = 'UT';
      if (!this.response.started) this.sendLocal(upstreamTimeout());
      else this.response.destroy();
      return;
    }
    if (f.kind === 'overflow') {
      this.record.responseFlags = 'UO';
      this.sendLocal(upstreamOverflow());
      return;
    }
    if (this.response.started) {
      this.record.responseFlags = 'UR';
      this.response.destroy();
      return;
    }
    this.record.responseFlags = f.kind === 'connect' ? 'UF' : 'UC';
    this.ctx.log(`upstream ${cluster.name} ${endpoint.address}:${endpoint.port}: ${f.error.message}`);
    this.sendLocal(upstreamReset(f.reason));
  }

  /** The upstream's body through on_response_body (reverse filter order) to the client. */
  private pipeResponseBody(upRes: http.IncomingMessage, noBody: boolean) {
    const responseBody = this.filters.responseBody();
    const deliver = (data: Uint8Array | undefined, end: boolean) => {
      if (this.aborted || this.response.destroyed) return;
      if (data && data.length > 0) this.response.write(data, upRes);
      if (end) this.response.end();
    };
    const onChunk = (chunk: Uint8Array, end: boolean) => {
      const r = responseBody.push(chunk, end);
      if (r.kind === 'data') return deliver(r.data, end);
      if (r.kind === 'hold') return;
      // A reply or failure after the response started: Envoy can only reset the stream.
      this.reset(r.reply.details);
    };
    upRes.on('data', (chunk: Buffer) => onChunk(chunk, false));
    upRes.on('end', () => {
      if (noBody) return deliver(undefined, true);
      onChunk(EMPTY, true);
    });
    upRes.on('error', () => {
      this.record.responseFlags = 'UR';
      this.response.destroy();
    });
  }

  /** proxy_close_stream or a failure after the response started: drop both connections. */
  private reset(details: string) {
    this.record.flagIfNone('LR');
    this.record.details ??= details;
    this.upstream?.abandon();
    this.response.destroy();
  }

  /**
   * A reply made here (Envoy's sendLocalReply), a filter's, or the 503 of a failed VM; unless it
   * came from the response side, it goes through every filter's on_response_headers.
   */
  private sendLocal(reply: GeneratedReply, runFilters = true) {
    if (this.response.started || this.response.destroyed) return;
    this.record.details = reply.details;
    const bytes = replyBytes(reply);
    let list = replyHeaders(reply, bytes.length, this.ctx.listener.serverName);
    if (runFilters) {
      const v = this.filters.responseHeadersThrough(list, bytes.length === 0);
      if (v.kind === 'send') list = v.headers;
    }
    if (!this.response.writeHead(list)) return;
    this.response.end(bytes);
    // Whatever of the request body is left is read and dropped, so the connection stays usable.
    this.req.resume();
  }

  /** Once per exchange: on_log/on_done/on_delete, stats, access log. */
  private finish() {
    if (this.finished) return;
    this.finished = true;
    this.filters.complete();
    const status = this.response.status;
    if (status) this.ctx.stat(`downstream_rq_${Math.floor(status / 100)}xx`);
    const sink = this.ctx.accessLog;
    const format = this.ctx.listener.accessLog?.format;
    if (sink && format !== undefined) {
      sink(formatAccessLog(format, this.record.accessRecord(this.req, {
        requestHeaders: this.filters.requestHeaders,
        responseHeaders: this.response.headers,
        responseCode: status,
        bytesSent: this.response.bytesSent,
      })));
    }
  }
}
