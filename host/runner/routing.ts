// Envoy's route selection: virtual host by `:authority`, then the first route whose match accepts
// `:path`. Mirrors RouteMatcher::findVirtualHost (source/common/router/config_impl.cc):
//   1. exact domain, 2. suffix wildcards `*.foo.com` / `*-bar.foo.com`, longest first,
//   3. prefix wildcards `foo.*` / `foo:*` (this is also how `host:*` matches any port), longest
//   first, 4. the `*` virtual host. Wildcards never match the empty string. The authority is
//   lower-cased (ASCII only, like Envoy) and, by default, matched WITH its port
//   (`localhost:10000` is not `localhost`).
// The authority and path are byte strings (host/lib/headers.ts); the bootstrap's domains and path
// matches are text, compared as their UTF-8 bytes.

import { asciiLower, toByteString } from '../lib/index.ts';
import type { RouteEntry, RouteTable, VirtualHost } from './model.ts';

const bytes = (text: string) => toByteString(text, 'utf8');

export class VirtualHostIndex {
  private readonly exact = new Map<string, VirtualHost>();
  /** [suffix, vhost], longest suffix first. */
  private readonly suffixes: Array<[string, VirtualHost]> = [];
  private readonly prefixes: Array<[string, VirtualHost]> = [];
  private readonly fallback?: VirtualHost;

  constructor(readonly table: RouteTable, private readonly stripPort = false) {
    let fallback: VirtualHost | undefined;
    for (const vh of table.virtualHosts) {
      for (const domain of vh.domains) {
        const d = bytes(domain);
        if (d === '*') fallback = vh;
        else if (d.startsWith('*')) this.suffixes.push([d.slice(1), vh]);
        else if (d.endsWith('*')) this.prefixes.push([d.slice(0, -1), vh]);
        else this.exact.set(d, vh);
      }
    }
    this.fallback = fallback;
    this.suffixes.sort((a, b) => b[0].length - a[0].length);
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  find(authority: string | undefined): VirtualHost | undefined {
    if (authority === undefined) return undefined;
    let host = asciiLower(authority);
    if (this.stripPort || this.table.ignorePortInHostMatching) host = stripPort(host);
    const hit = this.exact.get(host);
    if (hit) return hit;
    for (const [suffix, vh] of this.suffixes) {
      if (host.length > suffix.length && host.endsWith(suffix)) return vh;
    }
    for (const [prefix, vh] of this.prefixes) {
      if (host.length > prefix.length && host.startsWith(prefix)) return vh;
    }
    return this.fallback;
  }
}

/** `host:port` → `host`; `[::1]:80` → `[::1]`; a bare IPv6 literal is left alone. */
export function stripPort(authority: string): string {
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return authority;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    return close >= 0 && colon > close ? authority.slice(0, colon) : authority;
  }
  if (authority.indexOf(':') !== colon) return authority; // bare IPv6
  return /^\d+$/.test(authority.slice(colon + 1)) ? authority.slice(0, colon) : authority;
}

/** The first route of the virtual host whose match accepts the path (a byte string). */
export function findRoute(vh: VirtualHost, path: string): RouteEntry | undefined {
  const noQuery = path.split(/[?#]/, 1)[0]!;
  for (const r of vh.routes) {
    const m = r.match;
    switch (m.kind) {
      case 'prefix': {
        const v = bytes(m.value);
        if (m.caseSensitive ? path.startsWith(v) : asciiLower(path).startsWith(asciiLower(v))) return r;
        break;
      }
      case 'path': {
        const v = bytes(m.value);
        if (m.caseSensitive ? noQuery === v : asciiLower(noQuery) === asciiLower(v)) return r;
        break;
      }
      case 'regex':
        if (m.value.test(noQuery)) return r;
        break;
    }
  }
  return undefined;
}
