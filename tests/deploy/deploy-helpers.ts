// Shared by tests/deploy/*.test.ts and tests/host/app/validate.test.ts: where the deployment
// files are, reading them, and whether the built filter and the host library are there yet.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const at = (...parts: string[]) => join(ROOT, ...parts);
export const WASM = at('build/routekey.wasm');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export const readText = (rel: string) => readFileSync(at(rel), 'utf8');
export const readYaml = (rel: string): Any => parse(readText(rel));
export const readYamlDocs = (rel: string): Any[] =>
  parseAllDocuments(readText(rel)).map((d) => d.toJS()).filter((d) => d !== null && d !== undefined);

/** istio/*.yaml, relative to the repo root. */
export const istioYamlFiles = () =>
  readdirSync(at('istio')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `istio/${f}`);

/** Why tests that run the built filter cannot run yet, or undefined when they can. */
export function filterMissing(): string | undefined {
  if (!existsSync(at('host/lib/index.ts'))) return 'host/lib/index.ts is not there yet (host library in progress)';
  if (!existsSync(WASM)) return 'build/routekey.wasm is missing: run npm run build';
  return undefined;
}

/** The wasm filter's config in envoy/envoy.yaml. */
export function envoyWasmFilter(bootstrap: Any): Any {
  const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  return hcm.http_filters.find((f: Any) => f.name === 'envoy.filters.http.wasm');
}

/** Envoy's virtual host domain matching: exact, then "*.suffix"/"-suffix" wildcards, "prefix*", "*". */
export function domainMatches(domain: string, authority: string): boolean {
  const host = authority.toLowerCase();
  const d = domain.toLowerCase();
  if (d === '*') return true;
  if (d.startsWith('*')) return host.endsWith(d.slice(1)) && host.length > d.length - 1;
  if (d.endsWith('*')) return host.startsWith(d.slice(0, -1)) && host.length > d.length - 1;
  return d === host;
}

/**
 * The virtual host Envoy picks for an authority: exact domains first, then the longest suffix
 * wildcard, then the longest prefix wildcard, then "*" (Envoy's order).
 */
export function pickVirtualHost(vhosts: Any[], authority: string): Any | undefined {
  const host = authority.toLowerCase();
  const all = vhosts.flatMap((vh) => (vh.domains as string[]).map((d) => ({ vh, d: d.toLowerCase() })));
  const exact = all.find((x) => x.d === host);
  if (exact) return exact.vh;
  const longest = (xs: typeof all) => xs.sort((a, b) => b.d.length - a.d.length)[0]?.vh;
  const suffix = longest(all.filter((x) => x.d.startsWith('*') && x.d !== '*' && domainMatches(x.d, host)));
  if (suffix) return suffix;
  const prefix = longest(all.filter((x) => x.d.endsWith('*') && x.d !== '*' && domainMatches(x.d, host)));
  if (prefix) return prefix;
  return all.find((x) => x.d === '*')?.vh;
}

/** The authority (host[:port]) a destination string sets, as README.md (Destinations) defines it. */
export function destinationAuthority(destination: string): string {
  const rest = destination.replace(/^https?:\/\//i, '');
  const slash = rest.indexOf('/');
  return slash < 0 ? rest : rest.slice(0, slash);
}

/** Every destination a configuration object can produce (both forms), with where it sits. */
export function destinations(config: Any): Array<{ where: string; destination: string }> {
  const out: Array<{ where: string; destination: string }> = [];
  if (config.rewrites) {
    if (config.destination) out.push({ where: 'destination', destination: config.destination });
    for (const [value, r] of Object.entries<Any>(config.rewrites)) {
      if (r.destination) out.push({ where: `rewrites.${value}.destination`, destination: r.destination });
      for (const p of r.patch ?? []) {
        if (/^(host|:authority)$/i.test(p.key)) out.push({ where: `rewrites.${value}.patch`, destination: String(p.val) });
      }
    }
  } else {
    const withHeaders = (where: string, a: Any) => {
      if (a.destination) out.push({ where: `${where}.destination`, destination: a.destination });
      for (const [name, v] of Object.entries<Any>(a.requestHeaders?.set ?? {})) {
        if (/^(host|:authority)$/i.test(name)) out.push({ where: `${where}.requestHeaders.set.${name}`, destination: v });
      }
    };
    (config.routes ?? []).forEach((r: Any, i: number) => withHeaders(`routes[${i}]`, r));
    if (config.default) withHeaders('default', config.default);
  }
  return out;
}

/**
 * Code blocks tagged exactly ```json in a markdown file (not ```jsonc, whose one-line examples
 * carry comments and `...` placeholders), with the line each block starts on.
 */
export function jsonBlocks(markdown: string): Array<{ line: number; text: string }> {
  return [...markdown.matchAll(/^```json[ \t]*\r?\n([\s\S]*?)^```/gm)].map((m) => ({
    line: markdown.slice(0, m.index).split('\n').length,
    text: m[1],
  }));
}

/** The ```json blocks of README.md (the one user document), each named by its line. */
export const readmeJsonBlocks = () =>
  jsonBlocks(readText('README.md')).map(({ line, text }) => ({ where: `README.md json block at line ${line}`, text }));
