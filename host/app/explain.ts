// `routekey explain`: what the built filter does with a request, and where Envoy's router sends
// it afterwards (with an Envoy bootstrap) — for one request from the command line, or for a table
// of requests with expected outcomes (explain-table.ts).

import { headerChanges, openExplainTarget, type ExplainRequest, type Explained } from './explain-target.ts';
import { readTable, runTable } from './explain-table.ts';

export interface ExplainOptions {
  config: string;
  wasm?: string;
  /** A table of requests; otherwise `request`. */
  table?: string;
  request?: ExplainRequest;
}

export function formatExplained(e: Explained): string[] {
  const d = e.decision;
  const lines = [`decision: ${d.route === 'default' || d.route === 'passthrough' ? d.route : `route ${d.route}`}${d.metric ? ` (counter ${d.metric})` : ''}`];
  const changes = headerChanges(e.request, d.headers);
  if (changes.length === 0) lines.push('request headers: unchanged');
  else lines.push('request headers:', ...changes.map((c) => `  ${c}`));
  const r = e.routing;
  if (r) {
    lines.push(`virtual host: ${r.virtualHost ?? '(none)'}`);
    if (r.route) lines.push(`route: ${r.route}`);
    if (r.cluster) lines.push(`cluster: ${r.cluster}`);
    if (r.reply) lines.push(`router: ${r.reply}`);
  }
  return lines;
}

export async function runExplain(o: ExplainOptions): Promise<number> {
  // The table is read first: a mistake in it is reported before the module is loaded.
  const entries = o.table ? readTable(o.table) : undefined;
  const target = await openExplainTarget(o.config, o.wasm);
  try {
    if (entries) return runTable(o.table!, entries, target);
    for (const line of formatExplained(target.explain(o.request!))) console.log(line);
    return 0;
  } finally {
    await target.close();
  }
}
