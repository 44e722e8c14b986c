// One request to a cluster endpoint, the way Envoy's router makes it: the route's rewrites applied
// (prefix_rewrite, host_rewrite_literal), hop-by-hop headers dropped, the cluster's connect_timeout
// while connecting and the route's timeout from the end of the request to the response headers,
// the cluster's upstream_rq_* / upstream_cx_* stats, over the cluster's pooled connections
// (connection-pool.ts: the request holds its slot until it is done). What a failure means to the client is the
// exchange's to say (exchange.ts); this only tells which failure it was.

import http from 'node:http';
import type { Readable } from 'node:stream';
import type { HeaderList } from '../lib/index.ts';
import { fromRawHeaders, HOP_BY_HOP, toByteString } from '../lib/index.ts';
import { writeOrPause } from './body.ts';
import type { PoolSlot } from './connection-pool.ts';
import { header, setHeader } from './header-list.ts';
import type { Cluster, RouteEntry, SocketAddress } from './model.ts';

export interface UpstreamTarget {
  route: RouteEntry;
  cluster: Cluster;
  endpoint: SocketAddress;
  /** The cluster's keep-alive agent (connection-pool.ts). */
  agent: http.Agent;
  /** The request's place under the cluster's circuit breakers, admitted before the call. */
  slot: PoolSlot;
}

export type UpstreamFailure =
  /** The route's timeout passed before the response headers. */
  | { kind: 'timeout' }
  /** No connection (UF): refused, unreachable, or connect_timeout passed. */
  | { kind: 'connect'; reason: 'connection failure' | 'connection timeout'; error: Error }
  /** The connection broke (UC before the response, UR after it started). */
  | { kind: 'reset'; reason: 'connection termination'; error: Error }
  /** A circuit breaker refused the request (UO): max_pending_requests, or max_requests on attach. */
  | { kind: 'overflow' };

export interface UpstreamEvents {
  /** The response headers as the filters get them; noBody: the response ends with them. */
  response(res: http.IncomingMessage, headers: HeaderList, noBody: boolean): void;
  /** Not called once the call is abandoned. */
  failed(failure: UpstreamFailure): void;
}

/** The request line's path after the route's prefix_rewrite. */
export function upstreamPath(route: RouteEntry, path: string): string {
  if (route.prefixRewrite === undefined) return path;
  const rewrite = toByteString(route.prefixRewrite, 'utf8');
  if (route.match.kind === 'prefix') return rewrite + path.slice(toByteString(route.match.value, 'utf8').length);
  const q = path.search(/[?#]/);
  return rewrite + (q >= 0 ? path.slice(q) : '');
}

/** The filters' request headers as node:http request options: pseudo-headers to the request line. */
export function upstreamRequest(route: RouteEntry, headers: HeaderList, hasBody: boolean) {
  const method = header(headers, ':method') ?? 'GET';
  const path = upstreamPath(route, header(headers, ':path') ?? '/');
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
  return { method, path, headers: out };
}

export class UpstreamCall {
  private readonly req: http.ClientRequest;
  private connected = false;
  private connectTimedOut = false;
  private routeTimer: NodeJS.Timeout | undefined;
  /** Set when the exchange drops the call: its error is then no news. */
  private abandoned = false;

  /** `stat` counts `cluster.<name>.<stat>`; `serverName` replaces the upstream's server header. */
  constructor(
    private readonly target: UpstreamTarget, headers: HeaderList, hasBody: boolean, serverName: string,
    private readonly stat: (name: string) => void, private readonly events: UpstreamEvents,
  ) {
    const { route, cluster, endpoint } = target;
    const { method, path, headers: out } = upstreamRequest(route, headers, hasBody);
    stat('upstream_rq_total');
    const sentAt = Date.now();
    const req = http.request({
      host: endpoint.address,
      port: endpoint.port,
      method,
      path,
      headers: out,
      agent: target.agent,
      setHost: false,
    });
    this.req = req;
    req.once('close', () => target.slot.release());
    // Envoy's attachStreamToClient: the request leaves the pending list once its connection is up.
    const attached = () => {
      this.connected = true;
      if (target.slot.attached()) return;
      this.abandon();
      events.failed({ kind: 'overflow' });
    };
    req.on('socket', (s) => {
      if (!s.connecting) return attached();
      const t = setTimeout(() => {
        this.connectTimedOut = true;
        req.destroy(new Error('connect timeout'));
      }, cluster.connectTimeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        attached();
      });
      s.once('close', () => clearTimeout(t));
    });
    req.on('error', (error) => {
      clearTimeout(this.routeTimer);
      if (this.abandoned) return;
      if (this.connected) return events.failed({ kind: 'reset', reason: 'connection termination', error });
      stat('upstream_cx_connect_fail');
      events.failed({ kind: 'connect', reason: this.connectTimedOut ? 'connection timeout' : 'connection failure', error });
    });
    req.on('response', (res) => {
      clearTimeout(this.routeTimer);
      const status = res.statusCode ?? 502;
      stat(`upstream_rq_${status}`);
      stat(`upstream_rq_${Math.floor(status / 100)}xx`);
      let list: HeaderList = [[':status', String(status)], ...fromRawHeaders(res.rawHeaders)];
      list.push(['x-envoy-upstream-service-time', String(Date.now() - sentAt)]);
      list = setHeader(list, 'server', serverName);
      const noBody = method === 'HEAD' || status === 204 || status === 304 || res.headers['content-length'] === '0';
      events.response(res, list, noBody);
    });
  }

  get destroyed(): boolean {
    return this.req.destroyed;
  }

  /** A request body chunk; `source` waits while the upstream is slow. */
  write(data: Uint8Array, source: Readable): void {
    writeOrPause(this.req, data, source);
  }

  /** The request is complete: the route's timeout starts. */
  end(): void {
    this.req.end();
    const timeoutMs = this.target.route.timeoutMs;
    if (timeoutMs <= 0) return;
    this.routeTimer = setTimeout(() => {
      this.stat('upstream_rq_timeout');
      this.abandon();
      this.events.failed({ kind: 'timeout' });
    }, timeoutMs);
  }

  /** Drops the call (the client left, or the exchange answered otherwise). */
  abandon(): void {
    this.abandoned = true;
    this.req.destroy();
  }
}
