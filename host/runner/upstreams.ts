// The runner's upstream side: which endpoint of a cluster gets the next request — round robin, one
// state per cluster shared by the router and proxy_http_call, like one Envoy cluster's load
// balancer. The router's connections to it are connection-pool.ts's.

import type { ClusterResolver } from '../lib/index.ts';
import type { Cluster, SocketAddress } from './model.ts';

export class EndpointPicker {
  private readonly next = new Map<string, number>();

  /** The cluster's next endpoint; undefined when it has none. */
  pick(c: Cluster): SocketAddress | undefined {
    if (c.endpoints.length === 0) return undefined;
    const i = (this.next.get(c.name) ?? 0) % c.endpoints.length;
    this.next.set(c.name, (i + 1) % c.endpoints.length);
    return c.endpoints[i]!;
  }
}

/** `proxy_http_call` targets: the bootstrap's clusters through the shared picker. */
export function clusterResolver(clusters: Map<string, Cluster>, picker: EndpointPicker): ClusterResolver {
  return (name) => {
    const c = clusters.get(name);
    const e = c && picker.pick(c);
    return e && { host: e.address, port: e.port };
  };
}
