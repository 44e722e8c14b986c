// One request through the BUILT filter (build/routekey.wasm via host/lib), and what it decided:
// the route as its metric and debug line name it, or default / passthrough, and the request
// headers as the filter left them. `routekey explain` and `routekey run --rules` both ask the
// module rather than re-implementing its rules in JS, so they cannot disagree with Envoy.

import type { HeaderList, Plugin } from '../lib/index.ts';
import { startPlugin } from '../lib/index.ts';
import { UserError } from './user-error.ts';
import { checkConfiguration, DEFAULT_WASM, ROOT_ID } from './validate.ts';

export interface Decision {
  /** The route's name (as the decision header shows it), 'default' or 'passthrough'. */
  route: string;
  /** The counter the request incremented, as Envoy stores it (wasmcustom.routekey.…). */
  metric?: string;
  /** The request headers as the filter left them (`:authority`, not `host`). */
  headers: HeaderList;
  /** The filter changed request headers: Envoy re-picks the route (ABI ≤ 0.2.1). */
  routeCacheCleared: boolean;
}

export interface FilterProbe {
  decide(headers: HeaderList): Decision;
  close(): Promise<void>;
}

const TOOK_ROUTE = /^routekey: stream \d+ took route '(.*)'$/;

/**
 * Starts the module with the configuration. A refusal is the filter's own line, as validate
 * prints it (`label` names where the configuration came from): the probe runs at debug level,
 * whose start-up lines would bury it.
 */
export async function startFilterProbe(label: string, configuration: string | Uint8Array, wasm: string | Uint8Array = DEFAULT_WASM): Promise<FilterProbe> {
  const refused = await checkConfiguration(configuration, wasm);
  if (refused.length > 0) throw new UserError(`${label}: ${refused.join('; ')}`);
  // debug: the filter names the route it took in one line per request; one worker keeps the
  // metric deltas of one request apart from any other.
  const plugin: Plugin = await startPlugin({ wasm, rootId: ROOT_ID, configuration, workers: 1, logLevel: 'debug' });
  const counters = () => new Map(plugin.metrics().filter((m) => m.type === 'counter').map((m) => [m.name, m.value]));
  return {
    decide(headers) {
      const before = counters();
      const logged = plugin.logs.length;
      const stream = plugin.createStream();
      const outcome = stream.onRequestHeaders(headers, true);
      stream.complete();
      if (outcome.action !== 'continue') {
        throw new Error(`the filter did not continue the request (${outcome.action}${stream.failure ? `: ${stream.failure}` : ''})`);
      }
      // The filter batches its counts and hands them to the host on its tick (at most every 10th
      // tick when live rules shorten it); the decision is the one decision counter that moved.
      const moved = () => [...counters()].find(([name, v]) => v > (before.get(name) ?? 0) &&
        /^wasmcustom\.routekey\.(routed\.|default$|passthrough$)/.test(name))?.[0];
      let metric = moved();
      for (let i = 0; i < 10 && metric === undefined; i++) {
        plugin.fireTicks();
        metric = moved();
      }
      const line = plugin.logs.slice(logged).map((l) => TOOK_ROUTE.exec(l.message)).find((m) => m);
      let route: string;
      if (metric === 'wasmcustom.routekey.passthrough') route = 'passthrough';
      else if (metric === 'wasmcustom.routekey.default') route = 'default';
      // The debug line has the name as written (an original-form value such as "team.a/b");
      // the metric has it sanitised, so it is only the fallback.
      else route = line?.[1] ?? metric?.replace(/^wasmcustom\.routekey\.routed\.route\./, '') ?? 'passthrough';
      return { route, metric, headers: outcome.headers, routeCacheCleared: outcome.routeCacheCleared };
    },
    close: () => plugin.close(),
  };
}

/** The value of a header in a HeaderList (names are lower-case there). */
export function headerValue(headers: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase() === 'host' ? ':authority' : name.toLowerCase();
  return headers.find(([k]) => k === n)?.[1];
}
