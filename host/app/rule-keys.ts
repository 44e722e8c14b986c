// The routing keys a configuration names, and how a request carries them: the inputs that make
// the filter take each of its routes. The filter has no way to list its keys (its table is
// hashed guest memory), so these are read from the JSON here — only the probe inputs; what
// each route DOES (its :authority, its headers) is asked of the built filter (filter-probe.ts).
// The configuration has been accepted by the filter first, so its shape is known to be valid.

export interface RuleKeys {
  /** The header that carries the first key source (lower-case; `host` is `:authority`, a query parameter `:path`). */
  header: string;
  /** One key per route (its first key, else its first prefix), in the order of the configuration. */
  routes: Array<{ route: string; key: string; host?: string }>;
  /** The header value (or `:path`) that carries `key` in the first key source. */
  carry(key: string): string;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How the first source of `key` carries a key: `x-env: K`, `baggage: NAME=K`, `cookie: NAME=K`, `/?NAME=K`. */
function firstSource(key: unknown): Pick<RuleKeys, 'header' | 'carry'> {
  const s = Array.isArray(key) ? (key[0] as Obj) : { header: key };
  if (s.baggage !== undefined) return { header: 'baggage', carry: (k) => `${String(s.baggage)}=${encodeURIComponent(k)}` };
  if (s.tracestate !== undefined) return { header: 'tracestate', carry: (k) => `${String(s.tracestate)}=${k}` };
  if (s.cookie !== undefined) return { header: 'cookie', carry: (k) => `${String(s.cookie)}=${k}` };
  if (s.query !== undefined) return { header: ':path', carry: (k) => `/?${encodeURIComponent(String(s.query))}=${encodeURIComponent(k)}` };
  const header = String(s.header).toLowerCase();
  return { header: header === 'host' ? ':authority' : header, carry: (k) => k };
}

export function ruleKeys(configuration: string): RuleKeys {
  const doc = JSON.parse(configuration) as Obj;
  const routes: RuleKeys['routes'] = [];
  if (isObject(doc.rewrites)) {
    // Original dispatcher form: each value is a route of that name.
    for (const value of Object.keys(doc.rewrites)) routes.push({ route: value, key: value });
  } else if (Array.isArray(doc.routes)) {
    for (const r of doc.routes as Obj[]) {
      const key = String(((r.keys ?? r.prefixes) as string[])[0]);
      const hosts = r.hosts as string[] | undefined;
      routes.push({ route: String(r.name ?? key), key, host: hosts?.[0] });
    }
  }
  return { ...firstSource(doc.key), routes };
}
