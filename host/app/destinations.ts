// Which authorities a configuration can send requests to, as the built filter computes them:
// one request per route (with that route's first key) and one without a key (the default, or a
// passthrough), each through build/routekey.wasm. So a destination set by a header operation
// (`set: {Host: …}`, an original-form `Host` patch) counts exactly as Envoy would see it.
// destinationsWithoutVirtualHost then finds those an Envoy route configuration would answer
// with 404 (routekey validate's warning).

import type { HeaderList } from '../lib/index.ts';
import { headerValue, startFilterProbe } from './filter-probe.ts';
import { ruleKeys } from './rule-keys.ts';
import { previewRoute } from '../runner/route-preview.ts';
import type { Bootstrap, Listener } from '../runner/model.ts';

/** What a probe request arrives with: an authority no destination can have (RFC 2606 .invalid). */
const PROBE_AUTHORITY = 'routekey-probe.invalid';

export interface RouteDestination {
  /** The route's name, or 'default' / 'passthrough' for a request without a key. */
  route: string;
  /** The :authority the filter sets; undefined when it keeps the client's (no destination). */
  authority?: string;
  /** The header and value that take this route (`:path` for a query parameter; absent for the request without a key). */
  key?: { header: string; value: string };
  /** The request's :authority when the route applies to listed hosts only (its first one). */
  host?: string;
}

export async function routeDestinations(label: string, configuration: string, wasm?: string | Uint8Array): Promise<RouteDestination[]> {
  const keys = ruleKeys(configuration);
  const probe = await startFilterProbe(label, configuration, wasm);
  try {
    const ask = (r: { key: string; host?: string } | undefined): RouteDestination => {
      const carried = r === undefined ? undefined : keys.carry(r.key);
      const authority = carried !== undefined && keys.header === ':authority' ? carried : r?.host ?? PROBE_AUTHORITY;
      const path = carried !== undefined && keys.header === ':path' ? carried : '/';
      const headers: HeaderList = [[':method', 'GET'], [':path', path], [':scheme', 'http'], [':authority', authority]];
      if (carried !== undefined && !keys.header.startsWith(':')) headers.push([keys.header, carried]);
      const d = probe.decide(headers);
      const after = headerValue(d.headers, ':authority');
      return {
        route: d.route,
        authority: after === authority ? undefined : after,
        key: carried === undefined ? undefined : { header: keys.header, value: carried },
        host: r?.host,
      };
    };
    return [...keys.routes.map((r) => ask(r)), ask(undefined)];
  } finally {
    await probe.close();
  }
}

/** A destination the router of `listener` would answer with 404: no virtual host has its domain. */
export interface UnroutedDestination {
  route: string;
  authority: string;
  listener: string;
  /** Every domain of the listener's virtual hosts, as configured. */
  domains: string[];
}

/**
 * The destinations of `destinations` that match no virtual host of any of `listeners` (each
 * checked on its own): what Envoy's router would answer with 404 (NR) right after the filter
 * said, in its decision header, that the route was taken. A destination without an authority
 * (the client's is kept) is not checked; a listener without virtual hosts (RDS) is skipped.
 */
export function destinationsWithoutVirtualHost(bootstrap: Bootstrap, listeners: Listener[], destinations: RouteDestination[]): UnroutedDestination[] {
  const out: UnroutedDestination[] = [];
  for (const listener of listeners) {
    if (listener.routeTable.virtualHosts.length === 0) continue;
    const domains = listener.routeTable.virtualHosts.flatMap((vh) => vh.domains);
    for (const d of destinations) {
      if (d.authority === undefined) continue;
      const preview = previewRoute(bootstrap, listener, [[':authority', d.authority], [':path', '/']]);
      if (preview.virtualHost === undefined) out.push({ route: d.route, authority: d.authority, listener: listener.name, domains });
    }
  }
  return out;
}
