// The routing keys a configuration names, and the header that carries them: the inputs that make
// the filter take each of its routes. The filter has no way to list its keys (its table is
// hashed guest memory), so these are read from the JSON here — only the probe inputs; what
// each route DOES (its :authority, its headers) is asked of the built filter (filter-probe.ts).
// The configuration has been accepted by the filter first, so its shape is known to be valid.

export interface RuleKeys {
  /** The first key source's header (lower-case; `host` is `:authority`). */
  header: string;
  /** One key per route, in the order of the configuration. */
  routes: Array<{ route: string; key: string }>;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function ruleKeys(configuration: string): RuleKeys {
  const doc = JSON.parse(configuration) as Obj;
  const source = Array.isArray(doc.key) ? (doc.key[0] as Obj).header : doc.key;
  const header = String(source).toLowerCase();
  const routes: RuleKeys['routes'] = [];
  if (isObject(doc.rewrites)) {
    // Original dispatcher form: each value is a route of that name.
    for (const value of Object.keys(doc.rewrites)) routes.push({ route: value, key: value });
  } else if (Array.isArray(doc.routes)) {
    for (const r of doc.routes as Obj[]) routes.push({ route: String(r.name), key: String((r.keys as string[])[0]) });
  }
  return { header: header === 'host' ? ':authority' : header, routes };
}
