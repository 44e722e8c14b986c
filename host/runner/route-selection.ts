// The router's choice for a request: virtual host by :authority and route by :path (routing.ts),
// then the route's action — a direct_response, or a cluster (named, or read from cluster_header)
// and one of its endpoints (round robin, upstreams.ts). What cannot be forwarded becomes Envoy's
// local reply with its response flag, counted as Envoy counts it.

import type { HeaderList } from '../lib/index.ts';
import { fromByteString } from '../lib/index.ts';
import { header } from './header-list.ts';
import type { ListenerContext } from './listener-context.ts';
import { clusterNotFound, directResponse, type GeneratedReply, noHealthyUpstream, routeNotFound } from './local-reply.ts';
import type { Cluster, RouteEntry, SocketAddress } from './model.ts';
import { findRoute } from './routing.ts';

export type RouteDecision =
  | { kind: 'forward'; route: RouteEntry; cluster: Cluster; endpoint: SocketAddress }
  /** flags: %RESPONSE_FLAGS% (NR, NC, UH); route and cluster as far as they were found. */
  | { kind: 'reply'; reply: GeneratedReply; flags?: string; route?: RouteEntry; cluster?: Cluster };

export type RouteContext = Pick<ListenerContext, 'virtualHosts' | 'clusters' | 'picker' | 'stat' | 'inc'>;

export function selectRoute(ctx: RouteContext, headers: HeaderList): RouteDecision {
  const vh = ctx.virtualHosts.find(header(headers, ':authority'));
  const route = vh && findRoute(vh, header(headers, ':path') ?? '/');
  if (!route) {
    ctx.stat('no_route');
    return { kind: 'reply', reply: routeNotFound(), flags: 'NR' };
  }
  if (route.directResponse) return { kind: 'reply', reply: directResponse(route.directResponse), route };
  const clusterName = route.cluster ?? fromByteString(header(headers, route.clusterHeader!) ?? '', 'utf8');
  const cluster = ctx.clusters.get(clusterName);
  if (!cluster) {
    ctx.stat('no_cluster');
    return { kind: 'reply', reply: clusterNotFound(), flags: 'NC', route };
  }
  const endpoint = ctx.picker.pick(cluster);
  if (!endpoint) {
    ctx.inc(`cluster.${cluster.name}.upstream_cx_none_healthy`);
    return { kind: 'reply', reply: noHealthyUpstream(), flags: 'UH', route, cluster };
  }
  return { kind: 'forward', route, cluster, endpoint };
}
