// An Envoy bootstrap for one routekey filter: what `routekey run --rules` serves and
// `--print-envoy` prints. The same shape as envoy/envoy.yaml — one listener, the wasm filter
// (configuration as a StringValue) before the router, a virtual host per destination authority
// and a cluster per upstream — so what works here works in Envoy, and readBootstrap reads it
// unchanged. Pure: builds the document, reads no file.

import type { SocketAddress } from './model.ts';

export interface GeneratedBootstrapSpec {
  listener: SocketAddress;
  admin: SocketAddress;
  /** The module's path as Envoy should open it. */
  wasmFilename: string;
  /** The filter's rules, handed over as written. */
  configuration: string;
  /** One virtual host per authority the filter sets, in this order. */
  destinations: Array<{ authority: string; cluster: string }>;
  /** The `*` virtual host's cluster: requests the filter leaves with the client's Host. */
  catchAll?: string;
  clusters: Array<{ name: string } & SocketAddress>;
}

type Json = Record<string, unknown>;

const isIp = (a: string) => a.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(a);
const socket = (a: SocketAddress) => ({ socket_address: { address: a.address, port_value: a.port } });

/**
 * Envoy matches the authority with its port: `dev.demo` needs `dev.demo:*` too (a client's
 * `Host: dev.demo:10000`), while an authority the filter sets with a port matches as it is.
 */
export function destinationDomains(authority: string): string[] {
  const a = authority.toLowerCase();
  return /:\d+$/.test(a) ? [a] : [a, `${a}:*`];
}

function virtualHost(name: string, domains: string[], cluster: string): Json {
  return { name, domains, routes: [{ match: { prefix: '/' }, route: { cluster } }] };
}

export function generateBootstrap(spec: GeneratedBootstrapSpec): Json {
  const virtualHosts = spec.destinations.map((d) => virtualHost(d.authority, destinationDomains(d.authority), d.cluster));
  if (spec.catchAll) virtualHosts.push(virtualHost('catch_all', ['*'], spec.catchAll));
  return {
    static_resources: {
      listeners: [{
        name: 'main',
        address: socket(spec.listener),
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'ingress_http',
              codec_type: 'AUTO',
              route_config: { name: 'local_route', virtual_hosts: virtualHosts },
              http_filters: [
                {
                  name: 'envoy.filters.http.wasm',
                  typed_config: {
                    '@type': 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm',
                    config: {
                      name: 'routekey',
                      root_id: 'routekey',
                      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: spec.configuration },
                      // Fail closed, as envoy/envoy.yaml explains: a routing filter silently skipped looks healthy.
                      fail_open: false,
                      vm_config: { vm_id: 'routekey', runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: spec.wasmFilename } } },
                    },
                  },
                },
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          }],
        }],
      }],
      clusters: spec.clusters.map((c) => ({
        name: c.name,
        // STATIC takes IP addresses only; a host name is resolved as Envoy's STRICT_DNS does.
        type: isIp(c.address) ? 'STATIC' : 'STRICT_DNS',
        connect_timeout: '1s',
        load_assignment: { cluster_name: c.name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(c) } }] }] },
      })),
    },
    // The `route` and `key_source` labels, as envoy/envoy.yaml gives them.
    stats_config: {
      stats_tags: [
        { tag_name: 'route', regex: '^wasmcustom\\.routekey\\.routed(\\.route\\.([A-Za-z0-9_-]+))$' },
        { tag_name: 'key_source', regex: '^wasmcustom\\.routekey\\.keyed(\\.key_source\\.([a-z]+\\.[A-Za-z0-9_-]+))$' },
      ],
    },
    admin: { address: socket(spec.admin) },
  };
}
