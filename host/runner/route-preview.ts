// The router's choice for one request on a listener, without a socket: the virtual host by
// :authority, the route by :path (routing.ts, as the runner matches them), and the cluster the
// route names. What `routekey explain` shows after the filter has rewritten the request.

import type { HeaderList } from '../lib/index.ts';
import { toByteString } from '../lib/index.ts';
import type { Bootstrap, Listener } from './model.ts';
import { findRoute, VirtualHostIndex } from './routing.ts';

export interface RoutePreview {
  virtualHost?: string;
  /** The route's name, or where it sits (`virtual_hosts[1].routes[0]`). */
  route?: string;
  cluster?: string;
  /** Why the request would not be forwarded: Envoy's response flag or the direct response. */
  reply?: string;
}

/** `headers` are text (UTF-8), as the CLI takes them; the router compares bytes. */
export function previewRoute(bootstrap: Bootstrap, listener: Listener, headers: HeaderList): RoutePreview {
  const get = (n: string) => headers.find(([k]) => k === n)?.[1];
  const bytes = (v: string | undefined) => (v === undefined ? undefined : toByteString(v, 'utf8'));
  const vh = new VirtualHostIndex(listener.routeTable, listener.stripAnyHostPort).find(bytes(get(':authority')));
  if (!vh) return { reply: 'NR (no virtual host matches the authority: 404)' };
  const route = findRoute(vh, bytes(get(':path')) ?? '/');
  if (!route) return { virtualHost: vh.name, reply: 'NR (no route of the virtual host matches the path: 404)' };
  const out: RoutePreview = { virtualHost: vh.name, route: route.name ?? route.where.replace(/^.*route_config\./, '') };
  if (route.directResponse) return { ...out, reply: `direct_response ${route.directResponse.status}` };
  const cluster = route.cluster ?? get(route.clusterHeader!.toLowerCase()) ?? '';
  if (!bootstrap.clusters.has(cluster)) return { ...out, cluster, reply: 'NC (no such cluster: 503)' };
  return { ...out, cluster };
}
