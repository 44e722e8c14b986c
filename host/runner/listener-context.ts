// What an exchange needs from the listener it arrived on. ListenerProxy (proxy.ts) builds one and
// hands it to every Exchange; the exchange and its phases depend on this interface rather than on
// the proxy, so imports point one way: proxy → exchange → phases → context.

import type { Plugin } from '../lib/index.ts';
import type { Cluster, Listener } from './model.ts';
import type { VirtualHostIndex } from './routing.ts';
import type { ClusterPools } from './connection-pool.ts';
import type { EndpointPicker } from './upstreams.ts';

export interface ListenerContext {
  readonly listener: Listener;
  /** One per entry of listener.wasmFilters, same order. */
  readonly plugins: Plugin[];
  readonly virtualHosts: VirtualHostIndex;
  readonly clusters: Map<string, Cluster>;
  readonly picker: EndpointPicker;
  /** Every cluster's connection pool and circuit breakers, shared by all listeners. */
  readonly pools: ClusterPools;
  /** Counts `http.<stat_prefix>.<name>` (the connection manager's stats). */
  stat(name: string): void;
  /** Counts a stat by its full name (`cluster.<name>.…`). */
  inc(name: string): void;
  /** An access-log line; undefined when nobody takes them. */
  readonly accessLog?: (line: string) => void;
  /** Runner diagnostics (upstream errors and the like). */
  log(line: string): void;
}
