// What `routekey explain` runs a request through: the first routekey configuration of a file
// (plain rules, an Envoy bootstrap or a WasmPlugin, found as validate finds them) loaded into the
// built filter, and — when the file is a bootstrap — the listener whose filter that is, so the
// router's choice after the rewrite can be shown too.

import { readFileSync } from 'node:fs';
import type { HeaderList } from '../lib/index.ts';
import { loadBootstrap, previewRoute, type Bootstrap, type RoutePreview } from '../runner/index.ts';
import { headerValue, startFilterProbe, type Decision } from './filter-probe.ts';
import { aboutFile, UserError } from './user-error.ts';
import { DEFAULT_WASM, scanFile, UnreadableFileError } from './validate.ts';

export interface ExplainRequest {
  method: string;
  path: string;
  authority: string;
  /** name → value as given (names are lower-cased on the way in, as Envoy does). */
  headers: Array<[string, string]>;
}

export interface Explained {
  request: HeaderList;
  decision: Decision;
  /** Only with an Envoy bootstrap. */
  routing?: RoutePreview;
}

export interface ExplainTarget {
  /** Where the configuration sits, for the user ('' = the file is the rules). */
  where: string;
  hasBootstrap: boolean;
  explain(req: ExplainRequest): Explained;
  close(): Promise<void>;
}

export function requestHeaders(req: ExplainRequest): HeaderList {
  const out: HeaderList = [[':method', req.method], [':path', req.path], [':authority', req.authority], [':scheme', 'http']];
  for (const [name, value] of req.headers) {
    const n = name.toLowerCase();
    // Host is :authority to the filter and the router, as in Envoy.
    if (n === 'host' || n === ':authority') out[2] = [':authority', value];
    else out.push([n, value]);
  }
  return out;
}

export async function openExplainTarget(file: string, wasm = DEFAULT_WASM): Promise<ExplainTarget> {
  const found = aboutFile(file, () => scanFile(file, readFileSync(file, 'utf8')), (e) => e instanceof UnreadableFileError);
  const first = found.configurations[0];
  if (!first) throw new UserError(`${file}: no routekey configuration to explain (${found.skipped.join('; ')})`);
  for (const p of first.problems) console.error(`routekey explain: warning: ${file}: ${p}`);
  if (found.configurations.length > 1) console.error(`routekey explain: ${file}: ${found.configurations.length} routekey filters; explaining the first (${first.where})`);
  // A bootstrap's filter sits in static_resources.listeners[N]: its route table is that listener's.
  const listenerIndex = /(?:^|: )static_resources\.listeners\[(\d+)\]/.exec(first.where)?.[1];
  let bootstrap: Bootstrap | undefined;
  if (listenerIndex !== undefined) bootstrap = loadBootstrap(file);
  const listener = bootstrap?.listeners[Number(listenerIndex)];
  const probe = await startFilterProbe(first.where ? `${file}: ${first.where}` : file, first.configuration, wasm);
  return {
    where: first.where,
    hasBootstrap: listener !== undefined,
    explain(req) {
      const request = requestHeaders(req);
      const decision = probe.decide(request);
      return { request, decision, routing: bootstrap && listener ? previewRoute(bootstrap, listener, decision.headers) : undefined };
    },
    close: () => probe.close(),
  };
}

/** The filter's changes to the request headers, one line each: `name: value (was …)`, `(added)`, `(removed)`. */
export function headerChanges(before: HeaderList, after: HeaderList): string[] {
  const lines: string[] = [];
  const names = [...new Set([...before, ...after].map(([k]) => k))];
  for (const n of names) {
    const was = before.filter(([k]) => k === n).map(([, v]) => v);
    const now = after.filter(([k]) => k === n).map(([, v]) => v);
    if (was.join('\0') === now.join('\0')) continue;
    if (now.length === 0) lines.push(`${n} (removed)`);
    else if (was.length === 0) lines.push(...now.map((v) => `${n}: ${v} (added)`));
    else lines.push(`${n}: ${now.join(', ')} (was ${was.join(', ')})`);
  }
  return lines;
}

export { headerValue };
