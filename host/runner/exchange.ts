// One request/response pair through a listener, the way Envoy's connection manager and router
// handle it:
//
//   request ─▶ headers (Host → :authority, + :path :method :scheme, x-request-id, x-forwarded-proto)
//           ─▶ wasm filters in order (continue, or skipped by fail-open → next filter; stop → wait
//              for the resume; local reply → sent; failed → 503 wasm_fail_stream)
//           ─▶ virtual host by :authority, route by :path — re-picked from the filters' headers
//              when a filter cleared the route cache (ABI ≤ 0.2.1), else from the original ones
//           ─▶ cluster endpoint (round robin), body streamed both ways through the filters
//   response ◀─ wasm filters in reverse order (on_response_headers / body) ◀─ upstream
//   then on_log, on_done, on_delete for every filter, and the access-log line.
//
// Header strings are byte strings end to end (host/lib/headers.ts): node:http reads and writes them
// as latin1 and the plugins run with headerEncoding 'latin1', so the bytes a client sent are the
// bytes the filter sees and the upstream gets.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { HeaderList, HeadersOutcome, LocalReply, Stream } from '../lib/index.ts';
import { fromByteString, toByteString } from '../lib/index.ts';
import { fromRawHeaders, HOP_BY_HOP } from '../lib/index.ts';
import { failStreamReply } from '../lib/index.ts';
import { type AccessRecord, formatAccessLog } from './access-log.ts';
import { BodyPipeline } from './body.ts';
import type { Cluster, RouteEntry, SocketAddress } from './model.ts';
import type { ListenerProxy } from './proxy.ts';
import { findRoute } from './routing.ts';

/** Envoy's default stream_idle_timeout, used while a filter holds the request. */
const STREAM_IDLE_TIMEOUT_MS = 300_000;
const EMPTY = new Uint8Array(0);

function header(list: HeaderList, name: string): string | undefined {
  for (const [k, v] of list) if (k === name) return v;
  return undefined;
}

function setHeader(list: HeaderList, name: string, value: string): HeaderList {
  const out = list.filter(([k]) => k !== name);
  out.push([name, value]);
  return out;
}

/** What the response-side filter chain asks for. */
type ResponseVerdict =
  | { kind: 'send'; headers: HeaderList }
  | { kind: 'local'; reply: LocalReply }
  | { kind: 'reset' };

export class Exchange {
  private readonly started = Date.now();
  private streams: Stream[] = [];
  private finished = false;
  private aborted = false;
  private requestHeaders: HeaderList = [];
  private responseHeaders: HeaderList = [];
  private responseFlags = '-';
  private details: string | undefined;
  private upstreamHost: string | undefined;
  private bytesReceived = 0;
  private bytesSent = 0;
  private cluster?: Cluster;
  private routeName?: string;
  private upstreamReq?: http.ClientRequest;
  /** Set when we drop the upstream request ourselves: its error is then no news. */
  private upstreamAbandoned = false;
  private readonly closed: Promise<void>;

  constructor(
    private readonly proxy: ListenerProxy,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    this.closed = new Promise((resolve) => {
      res.on('close', () => {
        if (!res.writableFinished) {
          this.aborted = true;
          if (this.responseFlags === '-') this.responseFlags = 'DC';
          this.upstreamReq?.destroy();
        }
        this.finish();
        resolve();
      });
    });
  }

  private get listener() {
    return this.proxy.options.listener;
  }

  private log(line: string) {
    this.proxy.options.log?.(line);
  }

  /** Envoy's request headers for the filters (byte strings, as node:http gives them). */
  private receivedHeaders(): HeaderList {
    const req = this.req;
    const raw = req.rawHeaders;
    const host = fromRawHeaders(raw, new Set()).find(([k]) => k === 'host')?.[1] ?? '';
    const headers: HeaderList = [
      [':authority', host],
      [':path', req.url ?? '/'],
      [':method', req.method ?? 'GET'],
      [':scheme', 'http'],
    ];
    for (const [k, v] of fromRawHeaders(raw)) if (k !== 'host') headers.push([k, v]);
    if (header(headers, 'x-forwarded-proto') === undefined) headers.push(['x-forwarded-proto', 'http']);
    if (this.listener.generateRequestId && header(headers, 'x-request-id') === undefined) {
      headers.push(['x-request-id', randomUUID()]);
    }
    return headers;
  }

  /** Stream properties that do not come from the headers (request.* follows the live map). */
  private streamProperties(): Record<string, string | number> {
    const sock = this.req.socket;
    return {
      'request.protocol': `HTTP/${this.req.httpVersion}`,
      'source.address': `${sock.remoteAddress}:${sock.remotePort}`,
      'source.port': sock.remotePort ?? 0,
      'destination.address': `${sock.localAddress}:${sock.localPort}`,
      'destination.port': sock.localPort ?? 0,
    };
  }

  async run() {
    this.proxy.stat('downstream_rq_total');
    const headers = this.receivedHeaders();
    this.requestHeaders = headers;
    const contentLength = this.req.headers['content-length'];
    const hasBody = contentLength !== undefined ? Number(contentLength) > 0 : this.req.headers['transfer-encoding'] !== undefined;
    const properties = this.streamProperties();

    // ---- request headers through the filters
    let current = headers;
    let routeCacheCleared = false;
    for (const plugin of this.proxy.options.plugins) {
      let stream: Stream;
      try {
        stream = plugin.createStream(properties);
      } catch (e) {
        this.log(`wasm: cannot create a stream: ${(e as Error).message}`);
        return this.sendReply(failStreamReply());
      }
      this.streams.push(stream);
      let o: HeadersOutcome | undefined = stream.onRequestHeaders(current, !hasBody);
      if (o.action === 'stop' && !o.streamReset) {
        o = await this.waitFor(stream.whenRequestResumed());
        if (o === undefined) return; // client gone or idle timeout already answered
      }
      if (o.streamReset) return this.reset('wasm_close_stream');
      switch (o.action) {
        case 'continue':
        case 'skipped': // fail-open: Envoy continues with the headers as they are
        case 'stop': // still held after a resume: Envoy would keep waiting; we go on with what we have
          current = o.headers;
          routeCacheCleared ||= o.routeCacheCleared;
          this.requestHeaders = current;
          break;
        case 'localReply':
          return this.sendReply(o.localReply!);
        case 'failed':
          return this.sendReply(o.localReply ?? failStreamReply());
      }
    }

    // ---- route selection (Envoy picks the route before the filters; a cleared cache re-picks)
    const routeHeaders = routeCacheCleared ? current : headers;
    const vh = this.proxy.virtualHosts.find(header(routeHeaders, ':authority'));
    const route = vh && findRoute(vh, header(routeHeaders, ':path') ?? '/');
    if (!route) {
      this.proxy.stat('no_route');
      this.responseFlags = 'NR';
      return this.sendLocal(404, '', [], 'route_not_found');
    }
    this.routeName = route.name;
    if (route.directResponse) {
      return this.sendLocal(route.directResponse.status, route.directResponse.body, [], 'direct_response');
    }
    const clusterName = route.cluster ?? fromByteString(header(routeHeaders, route.clusterHeader!) ?? '', 'utf8');
    const cluster = this.proxy.options.clusters.get(clusterName);
    if (!cluster) {
      this.proxy.stat('no_cluster');
      this.responseFlags = 'NC';
      return this.sendLocal(503, '', [], 'cluster_not_found');
    }
    this.cluster = cluster;
    const endpoint = this.proxy.options.picker.pick(cluster);
    if (!endpoint) {
      this.responseFlags = 'UH';
      this.clusterStat('upstream_cx_none_healthy');
      return this.sendLocal(503, 'no healthy upstream', [], 'no_healthy_upstream');
    }
    this.upstreamHost = `${endpoint.address}:${endpoint.port}`;
    this.forward(route, cluster, endpoint, current, hasBody);
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
        this.sendLocal(408, 'stream timeout', [], 'stream_idle_timeout');
        return undefined;
      }
      return r as T;
    } finally {
      clearTimeout(timer);
    }
  }

  private clusterStat(name: string) {
    if (this.cluster) this.proxy.options.stats.inc(`cluster.${this.cluster.name}.${name}`);
  }

  /** The request line's path after the route's prefix_rewrite. */
  private upstreamPath(route: RouteEntry, path: string): string {
    if (route.prefixRewrite === undefined) return path;
    const rewrite = toByteString(route.prefixRewrite, 'utf8');
    if (route.match.kind === 'prefix') return rewrite + path.slice(toByteString(route.match.value, 'utf8').length);
    const q = path.search(/[?#]/);
    return rewrite + (q >= 0 ? path.slice(q) : '');
  }

  private forward(route: RouteEntry, cluster: Cluster, endpoint: SocketAddress, headers: HeaderList, hasBody: boolean) {
    const method = header(headers, ':method') ?? 'GET';
    const path = this.upstreamPath(route, header(headers, ':path') ?? '/');
    const authority = route.hostRewrite !== undefined ? toByteString(route.hostRewrite, 'utf8') : header(headers, ':authority') ?? '';
    const out: Record<string, string | string[]> = { host: authority };
    for (const [k, v] of headers) {
      if (k.startsWith(':') || k === 'host' || HOP_BY_HOP.has(k)) continue;
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    if (route.timeoutMs > 0) out['x-envoy-expected-rq-timeout-ms'] = String(route.timeoutMs);
    // Node frames the body itself: Content-Length when the client sent one, chunked otherwise.
    if (hasBody && out['content-length'] === undefined) out['transfer-encoding'] = 'chunked';

    this.clusterStat('upstream_rq_total');
    const sentAt = Date.now();
    const upReq = http.request({
      host: endpoint.address,
      port: endpoint.port,
      method,
      path,
      headers: out,
      agent: this.proxy.agents.agent(cluster),
      setHost: false,
    });
    this.upstreamReq = upReq;
    let connected = false;
    let connectTimedOut = false;
    let routeTimer: NodeJS.Timeout | undefined;
    upReq.on('socket', (s) => {
      if (!s.connecting) {
        connected = true;
        return;
      }
      const t = setTimeout(() => {
        connectTimedOut = true;
        upReq.destroy(new Error('connect timeout'));
      }, cluster.connectTimeoutMs);
      s.once('connect', () => {
        connected = true;
        clearTimeout(t);
      });
      s.once('close', () => clearTimeout(t));
    });
    const startRouteTimer = () => {
      if (route.timeoutMs <= 0) return;
      routeTimer = setTimeout(() => {
        this.clusterStat('upstream_rq_timeout');
        this.responseFlags = 'UT';
        this.abandonUpstream();
        if (!this.res.headersSent) this.sendLocal(504, 'upstream request timeout', [], 'upstream_response_timeout');
        else this.res.destroy();
      }, route.timeoutMs);
    };

    upReq.on('error', (err) => {
      clearTimeout(routeTimer);
      if (this.aborted || this.upstreamAbandoned || this.responseFlags === 'UT') return;
      if (this.res.headersSent) {
        this.responseFlags = 'UR';
        this.res.destroy();
        return;
      }
      let reason: string;
      if (!connected) {
        this.clusterStat('upstream_cx_connect_fail');
        this.responseFlags = 'UF';
        reason = connectTimedOut ? 'connection timeout' : 'connection failure';
      } else {
        this.responseFlags = 'UC';
        reason = 'connection termination';
      }
      this.log(`upstream ${cluster.name} ${endpoint.address}:${endpoint.port}: ${err.message}`);
      this.sendLocal(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, [],
        `upstream_reset_before_response_started{${reason.replace(/ /g, '_')}}`);
    });

    upReq.on('response', (upRes) => {
      clearTimeout(routeTimer);
      const status = upRes.statusCode ?? 502;
      this.clusterStat(`upstream_rq_${status}`);
      this.clusterStat(`upstream_rq_${Math.floor(status / 100)}xx`);
      let list: HeaderList = [[':status', String(status)], ...fromRawHeaders(upRes.rawHeaders)];
      list.push(['x-envoy-upstream-service-time', String(Date.now() - sentAt)]);
      list = setHeader(list, 'server', this.listener.serverName);
      const noBody = method === 'HEAD' || status === 204 || status === 304 || upRes.headers['content-length'] === '0';
      const verdict = this.responseFilters(list, noBody);
      if (verdict.kind !== 'send') {
        upRes.resume();
        this.abandonUpstream();
        if (verdict.kind === 'local') this.sendReply(verdict.reply, false);
        else this.reset('wasm_close_stream');
        return;
      }
      this.details = 'via_upstream';
      if (!this.writeHead(verdict.headers)) return;
      this.pipeResponseBody(upRes, noBody);
    });

    if (!hasBody) {
      upReq.end();
      startRouteTimer();
      return;
    }
    const requestBody = new BodyPipeline(this.streams, 'request');
    const onRequestBody = (chunk: Uint8Array, end: boolean) => {
      if (upReq.destroyed) return;
      const r = requestBody.push(chunk, end);
      if (r.kind === 'hold') return;
      if (r.kind !== 'data') {
        this.abandonUpstream();
        this.req.resume();
        this.sendReply(r.reply);
        return;
      }
      if (r.data.length > 0 && !upReq.write(r.data)) {
        this.req.pause();
        upReq.once('drain', () => this.req.resume());
      }
      if (end) {
        upReq.end();
        startRouteTimer();
      }
    };
    this.req.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      onRequestBody(chunk, false);
    });
    this.req.on('end', () => onRequestBody(EMPTY, true));
  }

  /** The upstream's body through on_response_body (reverse filter order) to the client. */
  private pipeResponseBody(upRes: http.IncomingMessage, noBody: boolean) {
    const responseBody = new BodyPipeline([...this.streams].reverse(), 'response');
    const deliver = (data: Uint8Array | undefined, end: boolean) => {
      if (this.aborted || this.res.destroyed) return;
      if (data && data.length > 0) {
        this.bytesSent += data.length;
        if (!this.res.write(data)) {
          upRes.pause();
          this.res.once('drain', () => upRes.resume());
        }
      }
      if (end) this.res.end();
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
      this.responseFlags = 'UR';
      this.res.destroy();
    });
  }

  /** on_response_headers in reverse filter order (Envoy's encoder chain). */
  private responseFilters(headers: HeaderList, endOfStream: boolean): ResponseVerdict {
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

  /** Pseudo-headers become the status line; false when Node refused a header. */
  private writeHead(list: HeaderList): boolean {
    const status = Number(header(list, ':status') ?? 200);
    const flat: string[] = [];
    for (const [k, v] of list) if (!k.startsWith(':')) flat.push(k, v);
    try {
      this.res.writeHead(status, flat);
      this.responseHeaders = list;
      return true;
    } catch (e) {
      this.log(`cannot send response headers: ${(e as Error).message}`);
      this.res.destroy();
      return false;
    }
  }

  /** proxy_close_stream or a failure after the response started: drop both connections. */
  private reset(details: string) {
    this.responseFlags = this.responseFlags === '-' ? 'LR' : this.responseFlags;
    this.details ??= details;
    this.abandonUpstream();
    this.res.destroy();
  }

  private abandonUpstream() {
    this.upstreamAbandoned = true;
    this.upstreamReq?.destroy();
  }

  /** A reply from a filter (or the 503 of a failed VM); from the response side it skips the filters. */
  private sendReply(r: LocalReply, runFilters = true) {
    this.sendLocal(r.status, r.body, r.headers, r.details, runFilters);
  }

  /**
   * A reply made by the proxy (Envoy's sendLocalReply): content-length, text/plain for a body,
   * and — unless it came from the response side — through every filter's on_response_headers.
   */
  private sendLocal(status: number, body: string | Uint8Array, extra: HeaderList, details: string, runFilters = true) {
    if (this.res.headersSent || this.res.destroyed) return;
    this.details = details;
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    let list: HeaderList = [[':status', String(status)]];
    if (bytes.length > 0) list.push(['content-type', 'text/plain']);
    for (const [k, v] of extra) {
      if (k === 'content-type' || k === 'content-length') list = list.filter(([n]) => n !== k);
      list.push([k.toLowerCase(), v]);
    }
    list.push(['content-length', String(bytes.length)]);
    list = setHeader(list, 'server', this.listener.serverName);
    if (runFilters) {
      const v = this.responseFilters(list, bytes.length === 0);
      if (v.kind === 'send') list = v.headers;
    }
    if (!this.writeHead(list)) return;
    this.bytesSent += bytes.length;
    this.res.end(bytes);
    // Whatever of the request body is left is read and dropped, so the connection stays usable.
    this.req.resume();
  }

  /** Once per exchange: on_log/on_done/on_delete, stats, access log. */
  private finish() {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.streams) {
      try {
        s.complete();
      } catch (e) {
        this.log(`wasm: completing a stream failed: ${(e as Error).message}`);
      }
    }
    const status = this.res.headersSent ? this.res.statusCode : 0;
    if (status) this.proxy.stat(`downstream_rq_${Math.floor(status / 100)}xx`);
    const sink = this.proxy.options.accessLog;
    const format = this.listener.accessLog?.format;
    if (sink && format !== undefined) sink(formatAccessLog(format, this.accessRecord(status)));
  }

  private accessRecord(status: number): AccessRecord {
    const sock = this.req.socket;
    return {
      startTime: this.started,
      protocol: `HTTP/${this.req.httpVersion}`,
      requestHeaders: this.requestHeaders,
      responseHeaders: this.responseHeaders,
      responseCode: status,
      responseFlags: this.responseFlags,
      details: this.details,
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      durationMs: Date.now() - this.started,
      upstreamHost: this.upstreamHost,
      upstreamCluster: this.cluster?.name,
      routeName: this.routeName,
      downstreamRemoteAddress: `${sock.remoteAddress}:${sock.remotePort}`,
      downstreamLocalAddress: `${sock.localAddress}:${sock.localPort}`,
    };
  }
}
