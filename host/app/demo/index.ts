// `npm start`: the filter built from source, two demo upstreams, the rules server (serving
// envoy/rules.json to the filter's rulesService) and the local runner configured by
// envoy/envoy.yaml with the envoy/local.yaml overlay — Envoy's setup without Envoy.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLevelSetting } from '../../lib/index.ts';
import { loadBootstrap, startRunner, type Bootstrap, type Runner, type StartPlugin } from '../../runner/index.ts';
import { startRulesServer, type RulesServer } from '../rules-server.ts';
import { startUpstream, type Upstream } from './upstream.mjs';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export { startUpstream };
export type { Upstream };

/** The demo's own bootstrap and overlay: the overlay is written for this bootstrap's clusters only. */
export const DEMO_CONFIG = join(REPO_ROOT, 'envoy', 'envoy.yaml');
export const DEMO_OVERLAY = join(REPO_ROOT, 'envoy', 'local.yaml');
/** The cluster envoy/envoy.yaml's rulesService calls: the demo puts its rules server there. */
export const RULES_CLUSTER = 'routekey-rules';
/** The rules document the demo serves: the file a user edits to re-route without a restart. */
export const DEMO_RULES = join(REPO_ROOT, 'envoy', 'rules.json');

/** A failure the demo can state in one line (the CLI prints the message, no stack). */
export class DemoError extends Error {
  override name = 'DemoError';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::']);

/** Newest modification time of the files under a directory (0 when it does not exist). */
function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when build/routekey.wasm is missing or older than its sources. */
export function wasmIsStale(root = REPO_ROOT): boolean {
  const wasm = join(root, 'build', 'routekey.wasm');
  if (!existsSync(wasm)) return true;
  const sources = Math.max(newestMtime(join(root, 'assembly')), newestMtime(join(root, 'asconfig.json')));
  return statSync(wasm).mtimeMs < sources;
}

/** Runs `npm run build` in the repository, output passed through. */
export function buildWasm(root = REPO_ROOT): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    child.on('error', (e) => reject(new DemoError(`cannot run npm run build: ${e.message}`)));
    child.on('exit', (code, signal) =>
      // The compiler's own output is above it: one line says what failed.
      code === 0 ? resolvePromise() : reject(new DemoError(`npm run build failed (${signal ?? `exit ${code}`}); its output is above`)),
    );
  });
}

export interface DemoOptions {
  config?: string;
  overlay?: string;
  workers?: number;
  logLevel?: LogLevelSetting;
  startPlugin?: StartPlugin;
  /** Everything the demo has to say (warnings, plugin logs, access log). */
  print?: (line: string) => void;
  /** Hears the bootstrap as read (overlay applied) and the overlay file used, before anything listens. */
  loaded?: (bootstrap: Bootstrap, overlay: string | undefined) => void;
  /** The rules document served on the routekey-rules cluster (default envoy/rules.json). */
  rulesFile?: string;
}

export interface Demo {
  runner: Runner;
  upstreams: Upstream[];
  /** The rules server on the routekey-rules cluster, when the bootstrap has that cluster. */
  rules?: { server: RulesServer; file: string; url: string };
  close(): Promise<void>;
}

/**
 * Starts one demo upstream per cluster whose (overlaid) endpoint is on this machine, named after
 * the cluster, then the runner.
 */
export async function startDemo(opts: DemoOptions = {}): Promise<Demo> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const config = opts.config ?? DEMO_CONFIG;
  // envoy/local.yaml names the demo bootstrap's clusters (default, dev): applied to another
  // bootstrap it would fail on a cluster that is not there, so it goes with the demo's own
  // bootstrap only. With --config, --overlay is the user's to give.
  let overlay = opts.overlay;
  if (overlay === undefined && opts.config === undefined) {
    if (existsSync(DEMO_OVERLAY)) overlay = DEMO_OVERLAY;
    else print(`note: ${DEMO_OVERLAY} not found; using the bootstrap's addresses as they are`);
  } else if (overlay === undefined) {
    print(`note: ${config}: the demo overlay (envoy/local.yaml) is not applied to your bootstrap; its addresses are used as they are (--overlay FILE moves them)`);
  }
  if (!existsSync(config)) throw new DemoError(`${config}: not found (the demo needs an Envoy bootstrap)`);
  const bootstrap = loadBootstrap(config, overlay, { overlayDir: REPO_ROOT });
  for (const w of bootstrap.warnings) print(`warning: ${w}`);
  opts.loaded?.(bootstrap, overlay);

  const upstreams: Upstream[] = [];
  let rules: Demo['rules'];
  const stopAll = () => Promise.allSettled([...upstreams.map((u) => u.close()), rules?.server.close()]);
  try {
    for (const c of bootstrap.clusters.values()) {
      for (const e of c.endpoints) {
        if (c.name === RULES_CLUSTER && !LOOPBACK.has(e.address)) {
          // A rules server elsewhere is the bootstrap's to name: the filter fetches from it and,
          // while it cannot, keeps its configuration's routes. No request depends on it.
          print(`note: cluster ${c.name}: ${e.address}:${e.port} is not on this machine: the demo starts no rules server; the filter fetches its rules from there`);
          continue;
        }
        if (!LOOPBACK.has(e.address)) {
          throw new DemoError(`cluster ${c.name}: endpoint ${e.address}:${e.port} is not on this machine; map it in the overlay (clusters.${c.name})`);
        }
        const host = e.address === 'localhost' ? '127.0.0.1' : e.address;
        if (c.name === RULES_CLUSTER && !rules) {
          // The filter's rulesService fetches from here: serve the editable rules document.
          const file = opts.rulesFile ?? DEMO_RULES;
          const server = await startRulesServer({ files: [file], port: e.port, host, log: print });
          rules = { server, file, url: `http://${host}:${server.port}${server.paths.get(file)}` };
          e.port = server.port;
          continue;
        }
        const up = await startUpstream({ name: c.name, port: e.port, host });
        upstreams.push(up);
        e.port = up.port; // port 0 in the overlay: the runner forwards to the port we got
      }
    }
    const runner = await startRunner({
      bootstrap,
      workers: opts.workers,
      logLevel: opts.logLevel,
      startPlugin: opts.startPlugin,
      onPluginLog: (e, f) => print(`[${e.level}][wasm] ${f.name} ${e.vm}: ${e.message}`),
      accessLog: print,
      log: (l) => print(`[runner] ${l}`),
    });
    const close = async () => {
      await runner.close();
      await stopAll();
    };
    return { runner, upstreams, rules, close };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** What to type once the demo is up. */
export function demoInstructions(demo: Demo): string {
  const l = demo.runner.listeners[0]!;
  const hostPort = l.address === '0.0.0.0' || l.address === '127.0.0.1' ? `localhost:${l.port}` : `${l.address}:${l.port}`;
  const lines = [
    '',
    `routekey demo: listener ${l.url}, upstreams ${demo.upstreams.map((u) => `${u.name}=${u.address}:${u.port}`).join(', ')}`,
    '',
    'Try:',
    `  curl -s -H 'environment: dev' ${hostPort}/hello    # → upstream "dev", with header dispatched: true`,
    `  curl -s ${hostPort}/hello                          # → upstream "default"`,
  ];
  if (demo.rules) {
    const shown = demo.rules.file.startsWith(`${REPO_ROOT}/`) ? demo.rules.file.slice(REPO_ROOT.length + 1) : demo.rules.file;
    lines.push(
      '',
      `Live rules: edit ${shown} (served at ${demo.rules.url}); the next request follows, no restart.`,
      '  Change "version" with each edit (the filter skips a version it has); an edit the filter',
      '  would refuse is logged here and the previous rules stay. To send qa to upstream "dev",',
      '  add "qa" to the dev route\'s keys, then:',
      `  curl -s -H 'environment: qa' ${hostPort}/hello`,
    );
  }
  if (demo.runner.admin) {
    const a = demo.runner.admin;
    const adminHost = `localhost:${a.port}`;
    lines.push(
      '',
      `Admin at ${adminHost} (like Envoy's):`,
      `  curl -s ${adminHost}/stats/prometheus | grep routekey`,
      `  curl -s -X POST '${adminHost}/logging?level=debug'`,
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines.join('\n');
}
