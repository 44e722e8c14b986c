// One listener: an HTTP/1.1 server whose requests each become an Exchange (host/runner/exchange.ts)
// through the listener's wasm filters and Envoy's router. The exchange sees the listener only as a
// ListenerContext (listener-context.ts), built here once.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from '../lib/index.ts';
import { Exchange } from './exchange.ts';
import type { ListenerContext } from './listener-context.ts';
import type { Cluster, Listener } from './model.ts';
import { VirtualHostIndex } from './routing.ts';
import type { Stats } from './stats.ts';
import { AgentPool, type EndpointPicker } from './upstreams.ts';

export interface ProxyOptions {
  listener: Listener;
  clusters: Map<string, Cluster>;
  /** Round robin per cluster, shared with proxy_http_call. */
  picker: EndpointPicker;
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
  readonly agents = new AgentPool();
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
      agents: this.agents,
      stat: (name) => options.stats.inc(prefix + name),
      inc: (name) => options.stats.inc(name),
      accessLog: options.accessLog,
      log: (line) => options.log?.(line),
    };
    this.server = http.createServer((req, res) => {
      new Exchange(this.context, req, res).run().catch((e: unknown) => {
        options.log?.(`listener ${options.listener.name}: internal error: ${(e as Error).stack ?? e}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error in the local runner\n');
        } else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  listen(): Promise<AddressInfo> {
    const { address, port } = this.options.listener.address;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, address, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    this.agents.close();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
