// One listener: an HTTP/1.1 server that runs each request through the listener's wasm filters the
// way Envoy's connection manager does, then routes it the way Envoy's router does and streams it
// to the chosen cluster.
//
//   request ─▶ headers (Host → :authority, + :path :method :scheme, x-request-id, x-forwarded-proto)
//           ─▶ wasm filters in order (continue / stop → wait / local reply / failed → 503)
//           ─▶ virtual host by :authority, route by :path — re-picked from the filters' headers
//              when a filter cleared the route cache (ABI ≤ 0.2.1), else from the original ones
//           ─▶ cluster endpoint (round robin), body streamed both ways
//   response ◀─ wasm filters in reverse order (on_response_headers / body) ◀─ upstream
//   then on_log, on_done, on_delete for every filter.

import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { BodyOutcome, HeaderList, HeadersOutcome, LocalReply, Plugin, Stream } from '../api.ts';
import type { Cluster, Listener, RouteEntry } from './bootstrap.ts';
import { VirtualHostIndex, findRoute } from './routing.ts';
import type { Stats } from './stats.ts';

/** Connection-level headers that never cross a proxy (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
/** Envoy's default stream_idle_timeout, used while a filter holds the request. */
const STREAM_IDLE_TIMEOUT_MS = 300_000;
const EMPTY = new Uint8Array(0);

export interface ProxyOptions {
  listener: Listener;
  clusters: Map<string, Cluster>;
  /** One per entry of listener.wasmFilters, same order. */
  plugins: Plugin[];
  stats: Stats;
  /** An access-log line (Envoy's default format); called only when the listener asks for it. */
  accessLog?: (line: string) => void;
  /** Diagnostics (upstream errors and the like). */
  log?: (line: string) => void;
}

export function header(list: HeaderList, name: string): string | undefined {
  for (const [k, v] of list) if (k === name) return v;
  return undefined;
}

function setHeader(list: HeaderList, name: string, value: string): HeaderList {
  const out = list.filter(([k]) => k !== name);
  out.push([name, value]);
  return out;
}

/** Round-robin over a cluster's endpoints, one keep-alive agent per cluster. */
class Upstreams {
  private readonly next = new Map<string, number>();
  private readonly agents = new Map<string, http.Agent>();

  pick(c: Cluster) {
    if (c.endpoints.length === 0) return undefined;
    const i = this.next.get(c.name) ?? 0;
    this.next.set(c.name, (i + 1) % c.endpoints.length);
    return c.endpoints[i]!;
  }
  agent(c: Cluster): http.Agent {
    let a = this.agents.get(c.name);
    if (!a) this.agents.set(c.name, (a = new http.Agent({ keepAlive: true })));
    return a;
  }
  close() {
    for (const a of this.agents.values()) a.destroy();
  }
}

/** What the response-side filter chain asks for. */
type ResponseVerdict =
  | { kind: 'send'; headers: HeaderList }
  | { kind: 'local'; reply: LocalReply }
  | { kind: 'failed'; reply?: LocalReply }
  | { kind: 'reset' };

export class ListenerProxy {
  readonly server: http.Server;
  private readonly vhosts: VirtualHostIndex;
  private readonly upstreams = new Upstreams();
  private readonly prefix: string;

  constructor(private readonly opts: ProxyOptions) {
    this.vhosts = new VirtualHostIndex(opts.listener.routeTable, opts.listener.stripAnyHostPort);
    this.prefix = `http.${opts.listener.statPrefix}.`;
    this.server = http.createServer((req, res) => {
      new Exchange(this, req, res).run().catch((e: unknown) => {
        this.opts.log?.(`listener ${this.opts.listener.name}: internal error: ${(e as Error).stack ?? e}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error in the local runner\n');
        } else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  get options() {
    return this.opts;
  }
  get virtualHosts() {
    return this.vhosts;
  }
  get pool() {
    return this.upstreams;
  }
  stat(name: string) {
    this.opts.stats.inc(this.prefix + name);
  }

  listen(): Promise<AddressInfo> {
    const { address, port } = this.opts.listener.address;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    this.upstreams.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** One request/response pair going through the filters and the router. */
class Exchange {
  private readonly started = Date.now();
  private streams: Stream[] = [];
  private finished = false;
  private aborted = false;
  private requestHeaders: HeaderList = [];
  private responseFlags = '-';
  private upstreamHost = '-';
  private upstreamServiceTime: string | undefined;
  private bytesReceived = 0;
  private bytesSent = 0;
  private cluster?: Cluster;
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

  async run() {
    const { req, listener } = { req: this.req, listener: this.listener };
    this.proxy.stat('downstream_rq_total');
    const headers: HeaderList = [
      [':authority', req.headers.host ?? ''],
      [':path', req.url ?? '/'],
      [':method', req.method ?? 'GET'],
      [':scheme', 'http'],
    ];
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      if (k === 'host' || HOP_BY_HOP.has(k)) continue;
      headers.push([k, raw[i + 1]!]);
    }
    if (header(headers, 'x-forwarded-proto') === undefined) headers.push(['x-forwarded-proto', 'http']);
    if (listener.generateRequestId && header(headers, 'x-request-id') === undefined) {
      headers.push(['x-request-id', randomUUID()]);
    }
    this.requestHeaders = headers;
    const contentLength = req.headers['content-length'];
    const hasBody = contentLength !== undefined ? Number(contentLength) > 0 : req.headers['transfer-encoding'] !== undefined;

    const sock = req.socket;
    const properties: Record<string, string | number> = {
      'request.path': req.url ?? '/',
      'request.url_path': (req.url ?? '/').split('?', 1)[0]!,
      'request.method': req.method ?? 'GET',
      'request.host': req.headers.host ?? '',
      'request.scheme': 'http',
      'request.protocol': `HTTP/${req.httpVersion}`,
      'request.id': header(headers, 'x-request-id') ?? '',
      'source.address': `${sock.remoteAddress}:${sock.remotePort}`,
      'source.port': sock.remotePort ?? 0,
      'destination.address': `${sock.localAddress}:${sock.localPort}`,
      'destination.port': sock.localPort ?? 0,
    };
    const ua = header(headers, 'user-agent');
    if (ua !== undefined) properties['request.user_agent'] = ua;
    if (header(headers, 'referer') !== undefined) properties['request.referer'] = header(headers, 'referer')!;

    // ---- request headers through the filters
    let current = headers;
    let routeCacheCleared = false;
    for (const plugin of this.proxy.options.plugins) {
      let stream: Stream;
      try {
        stream = plugin.createStream(properties);
      } catch (e) {
        this.proxy.options.log?.(`wasm: cannot create a stream: ${(e as Error).message}`);
        return this.sendLocal(503, '', [], 'wasm_fail_stream');
      }
      this.streams.push(stream);
      let o: HeadersOutcome | undefined = stream.onRequestHeaders(current, !hasBody);
      if (o.streamReset) return this.reset();
      if (o.action === 'stop') {
        o = await this.waitFor(stream.whenRequestResumed());
        if (o === undefined) return; // client gone or idle timeout already answered
        if (o.streamReset) return this.reset();
      }
      switch (o.action) {
        case 'continue':
        case 'stop': // still held after a resume: Envoy would keep waiting; we go on with what we have
          current = o.headers;
          routeCacheCleared ||= o.routeCacheCleared;
          this.requestHeaders = current;
          break;
        case 'skipped':
          break;
        case 'localReply':
          return this.sendLocal(o.localReply!.status, o.localReply!.body, o.localReply!.headers, o.localReply!.details || 'wasm_local_reply', true);
        case 'failed':
          return this.sendFailed(o.localReply);
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
    if (route.directResponse) {
      return this.sendLocal(route.directResponse.status, route.directResponse.body, [], 'direct_response');
    }
    const clusterName = route.cluster ?? header(routeHeaders, route.clusterHeader!) ?? '';
    const cluster = this.proxy.options.clusters.get(clusterName);
    if (!cluster) {
      this.proxy.stat('no_cluster');
      this.responseFlags = 'NC';
      return this.sendLocal(503, '', [], 'cluster_not_found');
    }
    this.cluster = cluster;
    const endpoint = this.proxy.pool.pick(cluster);
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

  private forward(route: RouteEntry, cluster: Cluster, endpoint: { address: string; port: number }, headers: HeaderList, hasBody: boolean) {
    const method = header(headers, ':method') ?? 'GET';
    let path = header(headers, ':path') ?? '/';
    if (route.prefixRewrite !== undefined) {
      if (route.match.kind === 'prefix') path = route.prefixRewrite + path.slice(route.match.value.length);
      else {
        const q = path.search(/[?#]/);
        path = route.prefixRewrite + (q >= 0 ? path.slice(q) : '');
      }
    }
    const authority = route.hostRewrite ?? header(headers, ':authority') ?? '';
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
      agent: this.proxy.pool.agent(cluster),
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
      this.proxy.options.log?.(`upstream ${cluster.name} ${endpoint.address}:${endpoint.port}: ${err.message}`);
      this.sendLocal(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, [], 'upstream_reset_before_response_started');
    });

    upReq.on('response', (upRes) => {
      clearTimeout(routeTimer);
      const status = upRes.statusCode ?? 502;
      this.clusterStat(`upstream_rq_${status}`);
      this.clusterStat(`upstream_rq_${Math.floor(status / 100)}xx`);
      this.upstreamServiceTime = String(Date.now() - sentAt);
      let list: HeaderList = [[':status', String(status)]];
      const raw = upRes.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const k = raw[i]!.toLowerCase();
        if (HOP_BY_HOP.has(k)) continue;
        list.push([k, raw[i + 1]!]);
      }
      list.push(['x-envoy-upstream-service-time', this.upstreamServiceTime]);
      list = setHeader(list, 'server', this.listener.serverName);
      const noBody = method === 'HEAD' || status === 204 || status === 304 || upRes.headers['content-length'] === '0';
      const verdict = this.responseFilters(list, noBody);
      if (verdict.kind !== 'send') {
        upRes.resume();
        this.abandonUpstream();
        if (verdict.kind === 'local') {
          const r = verdict.reply;
          this.sendLocal(r.status, r.body, r.headers, r.details || 'wasm_local_reply', false);
        } else if (verdict.kind === 'failed') this.sendFailed(verdict.reply, false);
        else this.reset();
        return;
      }
      if (!this.writeHead(verdict.headers)) return;
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
      const onResponseBody = (chunk: Uint8Array, end: boolean) => {
        const r = responseBody.push(chunk, end);
        if (r.kind === 'data') return deliver(r.data, end);
        if (r.kind === 'hold') return;
        // A reply or failure after the response started: Envoy can only reset the stream.
        this.reset();
      };
      upRes.on('data', (chunk: Buffer) => onResponseBody(chunk, false));
      upRes.on('end', () => {
        if (noBody) return deliver(undefined, true);
        onResponseBody(EMPTY, true);
      });
      upRes.on('error', () => {
        this.responseFlags = 'UR';
        this.res.destroy();
      });
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
        if (r.kind === 'local') this.sendLocal(r.reply.status, r.reply.body, r.reply.headers, r.reply.details || 'wasm_local_reply');
        else if (r.kind === 'failed') this.sendFailed(r.reply);
        else this.reset();
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

  /** on_response_headers in reverse filter order (Envoy's encoder chain). */
  private responseFilters(headers: HeaderList, endOfStream: boolean): ResponseVerdict {
    let current = headers;
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const o = this.streams[i]!.onResponseHeaders(current, endOfStream);
      if (o.streamReset) return { kind: 'reset' };
      switch (o.action) {
        case 'continue':
        case 'stop': // there is no way to resume a response here; go on with what the filter left
          current = o.headers;
          break;
        case 'skipped':
          break;
        case 'localReply':
          return { kind: 'local', reply: o.localReply! };
        case 'failed':
          return { kind: 'failed', reply: o.localReply };
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
      return true;
    } catch (e) {
      this.proxy.options.log?.(`cannot send response headers: ${(e as Error).message}`);
      this.res.destroy();
      return false;
    }
  }

  /** A VM failure under fail-closed: the host's wasm_fail_stream reply (503, empty body). */
  private sendFailed(reply: LocalReply | undefined, runFilters = true) {
    const r = reply ?? { status: 503, body: EMPTY, headers: [], details: 'wasm_fail_stream', grpcStatus: 14 };
    this.sendLocal(r.status, r.body, r.headers, r.details, runFilters);
  }

  /** proxy_close_stream or a failure after the response started: drop both connections. */
  private reset() {
    this.responseFlags = this.responseFlags === '-' ? 'LR' : this.responseFlags;
    this.abandonUpstream();
    this.res.destroy();
  }

  private abandonUpstream() {
    this.upstreamAbandoned = true;
    this.upstreamReq?.destroy();
  }

  /**
   * A reply made by the proxy (Envoy's sendLocalReply): content-length, text/plain for a body,
   * and — unless it came from the response side — through every filter's on_response_headers.
   */
  private sendLocal(status: number, body: string | Uint8Array, extra: HeaderList, details: string, runFilters = true) {
    if (this.res.headersSent || this.res.destroyed) return;
    void details;
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
        this.proxy.options.log?.(`wasm: completing a stream failed: ${(e as Error).message}`);
      }
    }
    const status = this.res.headersSent ? this.res.statusCode : 0;
    if (status) this.proxy.stat(`downstream_rq_${Math.floor(status / 100)}xx`);
    const log = this.proxy.options.accessLog;
    if (log && this.listener.accessLog) log(this.accessLine(status));
  }

  /** Envoy's default access-log format. */
  private accessLine(status: number): string {
    const h = (name: string) => header(this.requestHeaders, name) ?? '-';
    const q = (v: string) => `"${v}"`;
    return (
      `[${new Date(this.started).toISOString()}] "${h(':method')} ${h(':path')} HTTP/${this.req.httpVersion}" ` +
      `${status} ${this.responseFlags} ${this.bytesReceived} ${this.bytesSent} ${Date.now() - this.started} ` +
      `${this.upstreamServiceTime ?? '-'} ${q(h('x-forwarded-for'))} ${q(h('user-agent'))} ${q(h('x-request-id'))} ` +
      `${q(h(':authority'))} ${q(this.upstreamHost)}`
    );
  }
}

type BodyStep =
  | { kind: 'data'; data: Uint8Array }
  | { kind: 'hold' }
  | { kind: 'local'; reply: LocalReply }
  | { kind: 'failed'; reply?: LocalReply }
  | { kind: 'reset' };

/**
 * Body chunks through the filters in order. A filter that stops keeps buffering (the host library
 * hands it the accumulated body next time) and nothing passes it until it continues; at the end
 * of the stream whatever it holds goes on — Envoy would wait for proxy_continue_stream, which
 * body callbacks cannot be resumed by here.
 */
class BodyPipeline {
  constructor(private readonly streams: Stream[], private readonly which: 'request' | 'response') {}

  push(chunk: Uint8Array, end: boolean): BodyStep {
    let data = chunk;
    for (const s of this.streams) {
      const o: BodyOutcome = this.which === 'request' ? s.onRequestBody(data, end) : s.onResponseBody(data, end);
      if (o.localReply && o.action !== 'failed') return { kind: 'local', reply: o.localReply };
      switch (o.action) {
        case 'failed':
          // Under fail-open the host gives no reply: the filter is bypassed for this chunk.
          if (o.localReply) return { kind: 'failed', reply: o.localReply };
          break;
        case 'stop':
          if (!end) return { kind: 'hold' };
          data = o.body ?? data;
          break;
        default:
          data = o.body ?? data;
      }
    }
    return { kind: 'data', data };
  }
}
