// Bootstrap resources the router uses: socket addresses, clusters and route configurations
// (virtual hosts, routes, Envoy's domain rules).

import { asciiLower } from '../lib/index.ts';
import { readCircuitBreakers } from './circuit-breakers.ts';
import { BootstrapError, describe, Fields, type Json, parseDuration, type Reader } from './fields.ts';
import type { Cluster, PathMatch, RouteEntry, RouteTable, SocketAddress, VirtualHost } from './model.ts';

const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export function readSocketAddress(parent: Fields, key: string): SocketAddress {
  const address = parent.obj(key);
  address.refuse('pipe', 'unix sockets are not supported by the local runner');
  address.refuse('envoy_internal_address', 'internal addresses are not supported by the local runner');
  const sa = address.obj('socket_address');
  const result = { address: sa.str('address'), port: sa.port('port_value') };
  sa.refuse('named_port', 'named ports are not supported by the local runner');
  if (sa.has('protocol') && sa.raw('protocol') !== 'TCP') {
    throw new BootstrapError(`${sa.at('protocol')}: only TCP is supported`);
  }
  sa.accept('protocol', 'resolver_name', 'ipv4_compat');
  sa.done();
  address.done();
  return result;
}

export function readCluster(value: Json, path: string, r: Reader): Cluster {
  const c = Fields.of(value, path, r);
  const name = c.str('name');
  const type = (c.optStr('type') ?? 'STATIC') as Cluster['type'];
  if (!['STATIC', 'STRICT_DNS', 'LOGICAL_DNS'].includes(type)) {
    throw new BootstrapError(`${c.at('type')}: cluster type ${type} is not supported (use STATIC, STRICT_DNS or LOGICAL_DNS)`);
  }
  c.refuse('transport_socket', 'TLS to upstreams is not supported by the local runner');
  c.refuse('transport_socket_matches', 'TLS to upstreams is not supported by the local runner');
  c.refuse('cluster_type', 'custom cluster types are not supported by the local runner');
  c.refuse('hosts', 'the v2 `hosts` field is not supported; use load_assignment');
  c.refuse('eds_cluster_config', 'EDS is not supported by the local runner');
  const connectTimeoutMs = c.has('connect_timeout')
    ? parseDuration(c.raw('connect_timeout'), c.at('connect_timeout'))
    : DEFAULT_CONNECT_TIMEOUT_MS;
  const lb = c.optStr('lb_policy');
  if (lb !== undefined && lb !== 'ROUND_ROBIN') r.warn(c.at('lb_policy'), `${lb} ignored: the local runner uses ROUND_ROBIN`);
  c.accept('dns_lookup_family', 'alt_stat_name');
  const endpoints: SocketAddress[] = [];
  const la = c.optObj('load_assignment');
  if (la) {
    la.accept('cluster_name');
    la.list('endpoints').forEach((e, i) => {
      const locality = Fields.of(e, la.at(`endpoints[${i}]`), r);
      locality.list('lb_endpoints').forEach((lbe, j) => {
        const lbEndpoint = Fields.of(lbe, locality.at(`lb_endpoints[${j}]`), r);
        const endpoint = lbEndpoint.obj('endpoint');
        endpoints.push(readSocketAddress(endpoint, 'address'));
        endpoint.done();
        lbEndpoint.done();
      });
      locality.done();
    });
    la.done();
  }
  const circuitBreakers = readCircuitBreakers(c, r);
  c.done();
  return { name, type, endpoints, connectTimeoutMs, circuitBreakers };
}

function readRoute(value: Json, path: string, r: Reader): RouteEntry {
  const route = Fields.of(value, path, r);
  const name = route.optStr('name');
  const m = route.obj('match');
  const caseSensitive = m.has('case_sensitive') ? m.bool('case_sensitive', true) : true;
  let match: PathMatch | undefined;
  const kinds = ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'path_match_policy'];
  const present = kinds.filter((k) => m.has(k));
  if (present.length !== 1) {
    throw new BootstrapError(`${m.path}: expected exactly one of prefix, path or safe_regex, got ${present.length ? present.join(', ') : 'none'}`);
  }
  if (m.has('prefix')) match = { kind: 'prefix', value: m.str('prefix'), caseSensitive };
  else if (m.has('path')) match = { kind: 'path', value: m.str('path'), caseSensitive };
  else if (m.has('safe_regex')) {
    const re = m.obj('safe_regex');
    re.accept('google_re2');
    const source = re.str('regex');
    re.done();
    try {
      match = { kind: 'regex', value: new RegExp(`^(?:${source})$`) };
    } catch (e) {
      throw new BootstrapError(`${re.at('regex')}: not a valid regular expression: ${(e as Error).message}`);
    }
  } else {
    throw new BootstrapError(`${m.at(present[0]!)}: not supported by the local runner (use prefix, path or safe_regex)`);
  }
  for (const k of ['headers', 'query_parameters', 'grpc', 'runtime_fraction', 'tls_context', 'dynamic_metadata', 'filter_state']) {
    m.refuse(k, 'route matching on this is not supported by the local runner');
  }
  m.done();

  const entry: RouteEntry = { where: path, name, match, timeoutMs: DEFAULT_ROUTE_TIMEOUT_MS };
  route.refuse('redirect', 'redirect routes are not supported by the local runner');
  route.refuse('filter_action', 'filter_action routes are not supported by the local runner');
  route.refuse('request_headers_to_add', 'header changes by routes are not supported by the local runner');
  route.refuse('request_headers_to_remove', 'header changes by routes are not supported by the local runner');
  route.refuse('typed_per_filter_config', 'per-route filter configuration is not supported by the local runner');
  const direct = route.optObj('direct_response');
  const action = route.optObj('route');
  if ((direct ? 1 : 0) + (action ? 1 : 0) !== 1) {
    throw new BootstrapError(`${path}: expected exactly one of route or direct_response`);
  }
  if (direct) {
    const status = direct.raw('status');
    if (typeof status !== 'number' || status < 200 || status > 599) {
      throw new BootstrapError(`${direct.at('status')}: expected an HTTP status 200-599, got ${describe(status)}`);
    }
    let body = '';
    const b = direct.optObj('body');
    if (b) {
      body = b.str('inline_string');
      b.refuse('filename', 'not supported by the local runner (use inline_string)');
      b.done();
    }
    direct.done();
    entry.directResponse = { status, body };
  }
  if (action) {
    if (action.has('cluster')) entry.cluster = action.str('cluster');
    else if (action.has('cluster_header')) entry.clusterHeader = action.str('cluster_header').toLowerCase();
    else {
      const other = ['weighted_clusters', 'cluster_specifier_plugin', 'inline_cluster_specifier_plugin'].find((k) => action.has(k));
      throw new BootstrapError(
        other ? `${action.at(other)}: not supported by the local runner (use cluster or cluster_header)`
              : `${action.path}: expected cluster or cluster_header`,
      );
    }
    if (action.has('timeout')) entry.timeoutMs = parseDuration(action.raw('timeout'), action.at('timeout'));
    entry.prefixRewrite = action.optStr('prefix_rewrite');
    entry.hostRewrite = action.optStr('host_rewrite_literal');
    for (const k of ['regex_rewrite', 'path_rewrite_policy', 'host_rewrite_header', 'host_rewrite_path_regex', 'auto_host_rewrite']) {
      action.refuse(k, 'this rewrite is not supported by the local runner');
    }
    action.done();
  }
  route.done();
  return entry;
}

function validateDomains(vhosts: VirtualHost[], where: string) {
  const seen = new Map<string, string>();
  for (const vh of vhosts) {
    for (const d of vh.domains) {
      const prev = seen.get(d);
      if (prev !== undefined) {
        throw new BootstrapError(
          `${where}: only unique values for domains are permitted; domain "${d}" is in virtual hosts "${prev}" and "${vh.name}"`,
        );
      }
      seen.set(d, vh.name);
      if (d === '') throw new BootstrapError(`${where}: virtual host "${vh.name}" has an empty domain`);
      if (d !== '*' && d.slice(1, -1).includes('*')) {
        throw new BootstrapError(`${where}: domain "${d}" of virtual host "${vh.name}": a wildcard may only start or end a domain`);
      }
      if (d.length > 1 && d.startsWith('*') && d.endsWith('*')) {
        throw new BootstrapError(`${where}: domain "${d}" of virtual host "${vh.name}": wildcards at both ends are not allowed`);
      }
    }
  }
}

export function readRouteConfig(rc: Fields, r: Reader): RouteTable {
  const name = rc.optStr('name') ?? '';
  const ignorePortInHostMatching = rc.bool('ignore_port_in_host_matching', false);
  rc.refuse('request_headers_to_add', 'header changes by the route configuration are not supported by the local runner');
  rc.refuse('request_headers_to_remove', 'header changes by the route configuration are not supported by the local runner');
  rc.refuse('vhds', 'VHDS is not supported by the local runner');
  rc.accept('validate_clusters');
  const virtualHosts = rc.list('virtual_hosts').map((v, i) => {
    const vh = Fields.of(v, rc.at(`virtual_hosts[${i}]`), r);
    const vname = vh.str('name');
    const domains = vh.list('domains').map((d, j) => {
      if (typeof d !== 'string') throw new BootstrapError(`${vh.at(`domains[${j}]`)}: expected a string, got ${describe(d)}`);
      return asciiLower(d);
    });
    if (domains.length === 0) throw new BootstrapError(`${vh.at('domains')}: expected at least one domain`);
    vh.refuse('require_tls', 'TLS is not supported by the local runner');
    vh.refuse('request_headers_to_add', 'header changes by virtual hosts are not supported by the local runner');
    vh.refuse('request_headers_to_remove', 'header changes by virtual hosts are not supported by the local runner');
    vh.refuse('typed_per_filter_config', 'per-route filter configuration is not supported by the local runner');
    const routes = vh.list('routes').map((rt, j) => readRoute(rt, vh.at(`routes[${j}]`), r));
    vh.done();
    return { name: vname, domains, routes };
  });
  validateDomains(virtualHosts, rc.path);
  rc.done();
  return { name, virtualHosts, ignorePortInHostMatching };
}
