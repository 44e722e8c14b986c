// `routekey validate FILE...`, the command: host/app/validate.ts finds and checks the
// configurations (the filter's own parser); this adds the arguments, the output lines and the
// check of destinations against an Envoy route configuration (host/app/destinations.ts), kept
// apart from validate.ts because the filter probe that computes destinations uses validate.ts.
// Output, exit codes and options: USAGE below (and host/app/validate.ts's header).

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { loadBootstrap } from '../runner/bootstrap.ts';
import type { Bootstrap, Listener } from '../runner/model.ts';
import { destinationsWithoutVirtualHost, routeDestinations, type UnroutedDestination } from './destinations.ts';
import { checkConfiguration, checkRulesDocument, DEFAULT_WASM, scanFile } from './validate.ts';

/** The listener a bootstrap configuration's `where` names (static_resources.listeners[N]). */
function listenerIndexOf(where: string): number | undefined {
  const m = /(?:^|: )static_resources\.listeners\[(\d+)\]/.exec(where);
  return m ? Number(m[1]) : undefined;
}

/** The warning line for a destination no virtual host matches. */
export function unroutedWarning(u: UnroutedDestination): string {
  const shown = u.domains.slice(0, 8).map((d) => `'${d}'`).join(', ') + (u.domains.length > 8 ? `, … (${u.domains.length})` : '');
  return `warning: route '${u.route}' sends to '${u.authority}', which no virtual host of listener '${u.listener}' matches: ` +
    `Envoy would answer 404 (NR) after the decision header says the route was taken; its domains: ${shown}`;
}

/** The bootstrap (and its listeners) a configuration's destinations are checked against, if any. */
interface RouteCheck { bootstrap: Bootstrap; listeners: Listener[] }

/** Loads a bootstrap for the destination check; undefined (with the reason) when the runner cannot read it. */
function bootstrapFor(file: string): { bootstrap?: Bootstrap; problem?: string } {
  try {
    return { bootstrap: loadBootstrap(file) };
  } catch (err) {
    return { problem: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

const USAGE = `usage: routekey validate [--wasm FILE] [--allow-placeholders] [--bootstrap FILE] [--strict] FILE...
  Checks routekey configurations with the filter's own parser (build/routekey.wasm, or --wasm FILE).
  Each FILE is JSON or YAML (several documents allowed) and may hold:
    - a configuration: an object with key, routes, rewrites or default;
    - a rules document (what a rulesService serves): an object with version and no key;
    - an Envoy bootstrap: the configuration of every envoy.filters.http.wasm filter is checked;
    - Kubernetes objects: the spec.pluginConfig of every Istio WasmPlugin is checked.
  A WasmPlugin's image reference (spec.url, spec.sha256) must be filled in: the placeholders of the
  shipped manifests (REGISTRY, VERSION, DIGEST) are refused. --allow-placeholders checks such a file
  as a template (everything but the image reference).
  Destinations and the Envoy route configuration: for the wasm filter of an Envoy bootstrap, every
  destination of an accepted configuration (what the built filter sets :authority to, one request
  per route and one without a key) must match a virtual host of that listener's route
  configuration, else Envoy answers 404 although the decision header says the route was taken:
  "FILE: <where>: warning: route 'NAME' sends to 'AUTHORITY', which no virtual host of listener
  'L' matches ...; its domains: ...". --bootstrap FILE checks the configurations of the other
  FILEs (plain configurations, WasmPlugins) against FILE's listeners that have a wasm filter (all
  listeners if none has one). Warnings go to stderr and leave the exit code as it is; --strict
  makes them problems (exit code 1). Rules documents are not checked against a bootstrap.
  Prints "FILE: ok", or one "FILE: <where>: <problem>" line per problem (on stderr).
  A FILE with nothing to check (other Kubernetes kinds, an Envoy bootstrap without a wasm filter,
  a document that is not a configuration) prints "FILE: skipped (no routekey configuration: ...)"
  and is not a failure, so "routekey validate envoy/envoy.yaml istio/*.yaml" checks what is there.
  But if no FILE holds a configuration at all (e.g. one FILE, and it is a ConfigMap), that fails.
  Exit code: 0 every configuration found is valid, 1 a problem or nothing to check, 2 usage.`;

/** The `validate` command. Returns the exit code: 0 all valid, 1 a problem or nothing checked, 2 usage. */
export async function runValidate(args: string[]): Promise<number> {
  let wasm = DEFAULT_WASM;
  let allowPlaceholders = false;
  let strict = false;
  let bootstrapFile: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      return 0;
    } else if (arg === '--wasm') {
      wasm = args[++i] ?? '';
    } else if (arg.startsWith('--wasm=')) {
      wasm = arg.slice('--wasm='.length);
    } else if (arg === '--allow-placeholders') {
      allowPlaceholders = true;
    } else if (arg === '--strict') {
      strict = true;
    } else if (arg === '--bootstrap') {
      bootstrapFile = args[++i] ?? '';
      if (!bootstrapFile) { console.error(USAGE); return 2; }
    } else if (arg.startsWith('--bootstrap=')) {
      bootstrapFile = arg.slice('--bootstrap='.length);
    } else {
      files.push(arg);
    }
  }
  if (files.length === 0 || !wasm) {
    console.error(USAGE);
    return 2;
  }
  if (!existsSync(wasm)) {
    console.error(`routekey validate: ${wasm} not found (run npm run build)`);
    return 1;
  }
  const module = new Uint8Array(await readFile(wasm));
  let given: RouteCheck | undefined;
  if (bootstrapFile !== undefined) {
    const { bootstrap, problem } = bootstrapFor(bootstrapFile);
    if (!bootstrap) {
      console.error(`routekey validate: --bootstrap ${bootstrapFile}: ${problem}`);
      return 1;
    }
    const withWasm = bootstrap.listeners.filter((l) => l.wasmFilters.length > 0);
    given = { bootstrap, listeners: withWasm.length > 0 ? withWasm : bootstrap.listeners };
  }

  let failed = false;
  let checked = 0;
  for (const file of files) {
    const problems: string[] = [];
    const warnings: string[] = [];
    try {
      const { configurations, skipped } = scanFile(file, await readFile(file, 'utf8'));
      let own: { bootstrap?: Bootstrap; problem?: string } | undefined; // the file's own bootstrap, read once
      if (configurations.length === 0) {
        console.log(`${file}: skipped (no routekey configuration: ${[...new Set(skipped)].join('; ')})`);
        continue;
      }
      for (const { where, configuration, problems: around, kind, imageProblems } of configurations) {
        checked++;
        problems.push(...around);
        if (!allowPlaceholders) problems.push(...(imageProblems ?? []));
        const lines = kind === 'rules' ? await checkRulesDocument(configuration, module) : await checkConfiguration(configuration, module);
        for (const line of lines) problems.push(where ? `${where}: ${line}` : line);
        if (lines.length > 0 || kind === 'rules') continue;
        // The destinations against the route configuration Envoy applies next.
        let check: RouteCheck | undefined;
        const index = listenerIndexOf(where);
        if (index !== undefined) {
          own ??= bootstrapFor(file);
          const listener = own.bootstrap?.listeners[index];
          if (own.bootstrap && listener) check = { bootstrap: own.bootstrap, listeners: [listener] };
          else warnings.push(`${where}: warning: destinations not checked against the route configuration (${own.problem ?? `no listener ${index}`})`);
        } else {
          check = given;
        }
        if (!check) continue;
        const text = typeof configuration === 'string' ? configuration : new TextDecoder().decode(configuration);
        const destinations = await routeDestinations(where ? `${file}: ${where}` : file, text, module);
        for (const u of destinationsWithoutVirtualHost(check.bootstrap, check.listeners, destinations)) {
          const line = unroutedWarning(u);
          warnings.push(where ? `${where}: ${line}` : line);
        }
      }
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
    if (strict) problems.push(...warnings);
    else for (const w of warnings) console.error(`${file}: ${w}`);
    if (problems.length === 0) {
      console.log(`${file}: ok${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
    } else {
      failed = true;
      for (const p of problems) console.error(`${file}: ${p}`);
    }
  }
  if (!failed && checked === 0) {
    console.error(
      `routekey validate: nothing to check: no routekey configuration in ${files.length === 1 ? files[0] : 'any of the files'} ` +
        '(expected a configuration, an Envoy bootstrap with envoy.filters.http.wasm, or an Istio WasmPlugin)',
    );
    return 1;
  }
  return failed ? 1 : 0;
}
