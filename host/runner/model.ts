// The runner's model of an Envoy bootstrap: what host/runner/bootstrap.ts reads and the listeners,
// router and admin server serve. Types only.

import type { FailurePolicy } from '../lib/index.ts';
import type { Thresholds } from './circuit-breakers.ts';

export interface SocketAddress {
  address: string;
  /** 0 = pick an ephemeral port (the runner reports the one it got). */
  port: number;
}

export interface Cluster {
  name: string;
  type: 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';
  endpoints: SocketAddress[];
  connectTimeoutMs: number;
  /** The DEFAULT priority's circuit breakers (Envoy's defaults unless the cluster sets them). */
  circuitBreakers: Thresholds;
}

export type PathMatch =
  | { kind: 'prefix'; value: string; caseSensitive: boolean }
  | { kind: 'path'; value: string; caseSensitive: boolean }
  | { kind: 'regex'; value: RegExp };

export interface RouteEntry {
  /** `virtual_hosts[0].routes[1]`, for messages. */
  where: string;
  name?: string;
  match: PathMatch;
  /** Exactly one of cluster, clusterHeader, directResponse. */
  cluster?: string;
  clusterHeader?: string;
  directResponse?: { status: number; body: string };
  /** 0 = no timeout. Envoy's default is 15 s. */
  timeoutMs: number;
  prefixRewrite?: string;
  hostRewrite?: string;
}

export interface VirtualHost {
  name: string;
  /** Lower-cased, as Envoy stores them. */
  domains: string[];
  routes: RouteEntry[];
}

export interface RouteTable {
  name: string;
  virtualHosts: VirtualHost[];
  ignorePortInHostMatching: boolean;
}

export interface WasmFilter {
  /** Envoy's config.name (plugin_name). */
  name: string;
  rootId: string;
  vmId: string;
  /** What the filter receives in on_configure (host/runner/wasm-config.ts: Envoy's anyToBytes). */
  configuration: string | Uint8Array;
  vmConfiguration: string | Uint8Array;
  /** Absolute path of the module (after the overlay), or undefined when the code is inline. */
  filename?: string;
  inlineCode?: Uint8Array;
  failurePolicy: FailurePolicy;
}

export interface Listener {
  name: string;
  address: SocketAddress;
  statPrefix: string;
  routeTable: RouteTable;
  wasmFilters: WasmFilter[];
  stripAnyHostPort: boolean;
  serverName: string;
  generateRequestId: boolean;
  /** The connection manager's access log, when it has one. */
  accessLog?: { format: string };
}

export interface StatsTag {
  name: string;
  regex: RegExp;
}

export interface Bootstrap {
  listeners: Listener[];
  clusters: Map<string, Cluster>;
  admin?: SocketAddress;
  statsTags: StatsTag[];
  useAllDefaultTags: boolean;
  /** One line per ignored field. */
  warnings: string[];
}
