// `--upstream NAME=ADDR` flags, and which one serves a destination authority.
//
// The rule (README, "Your own rules"): a destination's host (its authority without the port)
// is served by the upstream NAMEd exactly that host, or else by the one NAMEd its first DNS label:
// `dev.svc:8080` → `--upstream dev.svc=…`, else `--upstream dev=…`. An IP address has no labels,
// so it needs its own `--upstream 10.0.0.7=…`. The name `default` also serves the catch-all `*`
// virtual host (requests the filter leaves with the client's Host).

export interface UpstreamFlag {
  name: string;
  address: string;
  port: number;
}

/** `NAME=HOST:PORT` (or `NAME=PORT`, on 127.0.0.1); undefined when it is not that. */
export function parseUpstreamFlag(v: string): UpstreamFlag | undefined {
  const m = /^([A-Za-z0-9_.-]+)=(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):)?(\d{1,5})$/.exec(v);
  if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined;
  const host = m[2] ?? '127.0.0.1';
  return { name: m[1]!, address: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(m[3]) };
}

/** The host part of an authority: `dev.svc:8080` → `dev.svc`, `[::1]:80` → `::1`. */
export function authorityHost(authority: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(authority);
  if (v6) return v6[1]!;
  return authority.replace(/:\d+$/, '').toLowerCase();
}

const isIp = (host: string) => host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host);

export function upstreamFor(authority: string, upstreams: UpstreamFlag[]): UpstreamFlag | undefined {
  const host = authorityHost(authority);
  const byName = (n: string) => upstreams.find((u) => u.name.toLowerCase() === n);
  return byName(host) ?? (isIp(host) ? undefined : byName(host.split('.')[0]!));
}
