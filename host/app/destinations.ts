// Which authorities a configuration can send requests to, as the built filter computes them:
// one request per route (with that route's first key) and one without a key (the default, or a
// passthrough), each through build/routekey.wasm. So a destination set by a header operation
// (`set: {Host: …}`, an original-form `Host` patch) counts exactly as Envoy would see it.

import type { HeaderList } from '../lib/index.ts';
import { headerValue, startFilterProbe } from './filter-probe.ts';
import { ruleKeys } from './rule-keys.ts';

/** What a probe request arrives with: an authority no destination can have (RFC 2606 .invalid). */
const PROBE_AUTHORITY = 'routekey-probe.invalid';

export interface RouteDestination {
  /** The route's name, or 'default' / 'passthrough' for a request without a key. */
  route: string;
  /** The :authority the filter sets; undefined when it keeps the client's (no destination). */
  authority?: string;
  /** The header and key that take this route (absent for the request without a key). */
  key?: { header: string; value: string };
}

export async function routeDestinations(label: string, configuration: string, wasm?: string | Uint8Array): Promise<RouteDestination[]> {
  const keys = ruleKeys(configuration);
  const probe = await startFilterProbe(label, configuration, wasm);
  try {
    const ask = (key: string | undefined): RouteDestination => {
      const headers: HeaderList = [[':method', 'GET'], [':path', '/'], [':scheme', 'http']];
      const authority = key !== undefined && keys.header === ':authority' ? key : PROBE_AUTHORITY;
      headers.push([':authority', authority]);
      if (key !== undefined && keys.header !== ':authority') headers.push([keys.header, key]);
      const d = probe.decide(headers);
      const after = headerValue(d.headers, ':authority');
      return { route: d.route, authority: after === authority ? undefined : after, key: key === undefined ? undefined : { header: keys.header, value: key } };
    };
    return [...keys.routes.map((r) => ask(r.key)), ask(undefined)];
  } finally {
    await probe.close();
  }
}
