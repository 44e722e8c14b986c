// One listener: an HTTP/1.1 server whose requests each become an Exchange (host/runner/exchange.ts)
// through the listener's wasm filters and Envoy's router.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Plugin } from '../lib/index.ts';
import { Exchange } from './exchange.ts';
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
  private readonly prefix: string;

  constructor(readonly options: ProxyOptions) {
    this.virtualHosts = new VirtualHostIndex(options.listener.routeTable, options.listener.stripAnyHostPort);
    this.prefix = `http.${options.listener.statPrefix}.`;
    this.server = http.createServer((req, res) => {
      new Exchange(this, req, res).run().catch((e: unknown) => {
        options.log?.(`listener ${options.listener.name}: internal error: ${(e as Error).stack ?? e}`);
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error in the local runner\n');
        } else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 60_000;
  }

  stat(name: string) {
    this.options.stats.inc(this.prefix + name);
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
