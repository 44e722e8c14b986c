// One listener: an HTTP/1.1 server whose requests each become an Exchange (host/runner/exchange.ts)
// through the listener's wasm filters and Envoy's router. The exchange sees the listener only as a
// ListenerContext (listener-context.ts), built here once. What Envoy's HTTP/1 codec refuses
// (http1-codec.ts) is answered here, before any filter.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Plugin } from '../lib/index.ts';
import { formatAccessLog } from './access-log.ts';
import { Exchange } from './exchange.ts';
import {
  HTTP1_SERVER_OPTIONS, parseError, type ProtocolError, protocolErrorReply, rawProtocolErrorReply, requestError,
} from './http1-codec.ts';
import type { ListenerContext } from './listener-context.ts';
import type { Cluster, Listener } from './model.ts';
import { VirtualHostIndex } from './routing.ts';
import type { Stats } from './stats.ts';
import type { ClusterPools } from './connection-pool.ts';
import type { EndpointPicker } from './upstreams.ts';

export interface ProxyOptions {
  listener: Listener;
  clusters: Map<string, Cluster>;
  /** Round robin per cluster, shared with proxy_http_call. */
  picker: EndpointPicker;
  /** The clusters' connection pools (one per process, as Envoy's cluster manager). */
  pools: ClusterPools;
  /** One per entry of listener.wasmFilters, same order. */
  plugins: Plugin[];
  stats: Stats;
  /** An access-log line; called only when the listener's connection manager has an access log. */
  accessLog?: (line: string) => void;
  /** Diagnostics (upstream errors and the like). */
  log?: (line: string) => void;
}

export class ListenerProxy {
  readonly server: http.Server;
  readonly virtualHosts: VirtualHostIndex;
  private readonly context: ListenerContext;

  constructor(readonly options: ProxyOptions) {
    this.virtualHosts = new VirtualHostIndex(options.listener.routeTable, options.listener.stripAnyHostPort);
    const prefix = `http.${options.listener.statPrefix}.`;
    this.context = {
      listener: options.listener,
      plugins: options.plugins,
      virtualHosts: this.virtualHosts,
      clusters: options.clusters,
      picker: options.picker,
      pools: options.pools,
      stat: (name) => options.stats.inc(prefix + name),
      inc: (name) => options.stats.inc(name),
      accessLog: options.accessLog,
      log: (line) => options.log?.(line),
    };
    this.server = http.createServer(HTTP1_SERVER_OPTIONS, (req, res) => {
      const refused = requestError(req);
      // A request line without a version never got one in Envoy (its parser stopped at it).
      if (refused) return this.refuse(refused, req.socket, res, req.httpVersion === '0.9' ? undefined : `HTTP/${req.httpVersion}`);
      new Exchange(this.context, req, res).run().catch((e: unknown) => {
        options.log?.(`listener ${options.listener.name}: internal error: ${(e as Error).stack ?? e}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error in the local runner\n');
        } else res.destroy();
      });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const refused = parseError(err);
      if (refused && socket.writable) return this.refuse(refused, socket);
      // Not a parse error (a reset, node's request timeout): as node:http's default handler does.
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) {
        socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
      } else socket.destroy();
    });
    this.server.keepAliveTimeout = 60_000;
  }

  /**
   * Envoy's sendProtocolError: the local reply, counted (downstream_cx_protocol_error, the 4xx),
   * in the access log with DPE, and the connection closed. `res` when node:http parsed the request.
   */
  private refuse(e: ProtocolError, socket: Socket, res?: http.ServerResponse, protocol = 'HTTP/1.1') {
    const startTime = Date.now();
    const { listener } = this.options;
    const reply = protocolErrorReply(e, listener.serverName);
    this.context.stat('downstream_rq_total');
    this.context.stat('downstream_cx_protocol_error');
    this.context.stat(`downstream_rq_${Math.floor(e.status / 100)}xx`);
    if (res) {
      res.writeHead(e.status, reply.headers.flat());
      res.end(reply.body);
      res.req.resume();
    } else socket.end(rawProtocolErrorReply(e, listener.serverName));
    const sink = this.options.accessLog;
    if (!sink || listener.accessLog === undefined) return;
    sink(formatAccessLog(listener.accessLog.format, {
      startTime, protocol, requestHeaders: [], responseHeaders: [[':status', String(e.status)], ...reply.headers],
      responseCode: e.status, responseFlags: 'DPE', details: e.details, bytesReceived: 0,
      bytesSent: Buffer.byteLength(reply.body), durationMs: 0,
      downstreamRemoteAddress: `${socket.remoteAddress}:${socket.remotePort}`,
      downstreamLocalAddress: `${socket.localAddress}:${socket.localPort}`,
    }));
  }

  listen(): Promise<AddressInfo> {
    const { address, port } = this.options.listener.address;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      // Envoy's tcp_backlog_size defaults to net.core.somaxconn on Linux; the kernel caps this to it
      // (node's own default, 511, drops connections under a burst that Envoy accepts).
      this.server.listen({ port, host: address, backlog: 65535 }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
