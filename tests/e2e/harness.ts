// Shared by the e2e tests, which run over real sockets: a raw HTTP client (fetch cannot set Host),
// upstreams, and a runner on ephemeral 127.0.0.1 ports built from envoy/envoy.yaml or an inline
// bootstrap. The runner's unit tests (tests/host/runner/) need none of this.

import http from 'node:http';
import net from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { LogEntry, PluginOptions, Plugin } from '../../host/lib/index.ts';
import { readBootstrap, startRunner, type Bootstrap, type Overlay, type Runner, type RunnerOptions } from '../../host/runner/index.ts';
import { REPO_ROOT, startUpstream, type Upstream } from '../../host/app/demo/index.ts';

export { REPO_ROOT, startUpstream };
export const WASM = join(REPO_ROOT, 'build', 'routekey.wasm');

/**
 * Writes an overlay for `routekey demo` that puts everything of envoy/envoy.yaml on free
 * 127.0.0.1 ports: listener, admin, the two upstreams and the rules server (routekey-rules).
 */
export function writeDemoOverlay(file: string, wasm: string): string {
  writeFileSync(file, [
    'listener: {address: 127.0.0.1, port: 0}',
    'admin: {address: 127.0.0.1, port: 0}',
    'clusters: {default: {address: 127.0.0.1, port: 0}, dev: {address: 127.0.0.1, port: 0}, routekey-rules: {address: 127.0.0.1, port: 0}}',
    `wasm: {filename: ${JSON.stringify(wasm)}}`,
  ].join('\n'));
  return file;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** One request over a fresh connection; rejects after `timeoutMs`. */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<Reply> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? 'GET', headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString()) });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 5000, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * A port that was free a moment ago and has nothing listening now, only for "connection refused":
 * a server that answers keeps listening on the port 0 it was given, but a refused connection needs
 * a port where nothing listens, so this one is picked by listen(0) + close.
 */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The real filter can run: build/routekey.wasm (or ROUTEKEY_WASM) exists. */
export function realWasmAvailable(): boolean {
  return existsSync(process.env.ROUTEKEY_WASM ?? WASM);
}

export interface Bed {
  runner: Runner;
  upstreams: Record<string, Upstream>;
  bootstrap: Bootstrap;
  /** Every guest log line the runner passed on (onPluginLog), oldest first. */
  logs: LogEntry[];
  /** Resolves with the first line (from `from` on) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (e: LogEntry) => boolean, opts?: { from?: number; timeoutMs?: number }): Promise<LogEntry>;
  url(path: string): string;
  admin(path: string): string;
  close(): Promise<void>;
}

/**
 * Upstreams named `names` on ephemeral ports, then the runner on a bootstrap (YAML text or the
 * shipped envoy/envoy.yaml) whose listener/admin/clusters are moved to 127.0.0.1 port 0.
 */
export async function startBed(opts: {
  yaml?: string;
  upstreams: string[];
  /** Clusters to point at a port where nothing listens. */
  deadClusters?: string[];
  /** The module every wasm filter loads (default build/routekey.wasm); null keeps the bootstrap's code. */
  wasmFile?: string | null;
  startPlugin?: (o: PluginOptions) => Promise<Plugin>;
  runner?: Partial<RunnerOptions>;
}): Promise<Bed> {
  const upstreams: Record<string, Upstream> = {};
  try {
    for (const name of opts.upstreams) upstreams[name] = await startUpstream({ name });
    const wasmFile = opts.wasmFile === undefined ? process.env.ROUTEKEY_WASM ?? WASM : opts.wasmFile;
    const overlay: Overlay = {
      listener: { address: '127.0.0.1', port: 0 },
      admin: { address: '127.0.0.1', port: 0 },
      clusters: {},
    };
    if (wasmFile !== null) overlay.wasm = { filename: wasmFile };
    for (const [name, up] of Object.entries(upstreams)) overlay.clusters![name] = { address: '127.0.0.1', port: up.port };
    for (const name of opts.deadClusters ?? []) overlay.clusters![name] = { address: '127.0.0.1', port: await closedPort() };
    const text = opts.yaml ?? readFileSync(join(REPO_ROOT, 'envoy', 'envoy.yaml'), 'utf8');
    const bootstrap = readBootstrap(parse(text), { overlay, overlayDir: REPO_ROOT });
    const logs: LogEntry[] = [];
    const waiters = new Set<() => void>();
    const runner = await startRunner({
      bootstrap, workers: 2, startPlugin: opts.startPlugin, ...opts.runner,
      onPluginLog: (e, f) => {
        logs.push(e);
        for (const w of [...waiters]) w();
        opts.runner?.onPluginLog?.(e, f);
      },
    });
    const waitForLog: Bed['waitForLog'] = (match, { from = 0, timeoutMs = 5000 } = {}) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const hit = logs.slice(from).find(match);
          if (!hit) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such guest log line within ${timeoutMs} ms; lines: ${logs.slice(from).map((l) => l.message).join(' | ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    const l = runner.listeners[0]!;
    return {
      runner,
      upstreams,
      bootstrap,
      logs,
      waitForLog,
      url: (p) => `${l.url}${p}`,
      admin: (p) => `${runner.admin!.url}${p}`,
      close: async () => {
        await runner.close();
        await Promise.all(Object.values(upstreams).map((u) => u.close()));
      },
    };
  } catch (e) {
    await Promise.all(Object.values(upstreams).map((u) => u.close()));
    throw e;
  }
}

/** What the demo upstream says it received. */
export interface Echo {
  upstream: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  bodyBytes: number;
}
