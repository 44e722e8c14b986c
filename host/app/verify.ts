// End-to-end check of the Envoy sandbox: a list of named checks against a running proxy.
//
//   node --import tsx host/app/verify.ts        (or: bash envoy/verify.sh)
//
// Where the proxy comes from, first that works:
//   1. docker compose (envoy/docker-compose.yaml), when a Docker ENGINE answers `docker info`;
//   2. a real `envoy` binary on PATH, run with envoy/envoy.yaml adjusted by envoy/local.yaml;
//   3. otherwise, saying so plainly, the local runner (host/app/cli.ts run) on the same two files.
// VERIFY_MODE=docker|envoy|local forces one. VERIFY_LISTENER_PORT, VERIFY_ADMIN_PORT,
// VERIFY_DEFAULT_PORT, VERIFY_DEV_PORT, VERIFY_RULES_PORT move the local ports (modes 2 and 3).
// In modes 2 and 3 the rules server (`routekey rules-server`, cluster routekey-rules of the
// bootstrap's rulesService) is started too, on a copy of envoy/rules.json, and a check edits that
// copy and expects the next requests to follow (docker compose starts its own rules-server).
// Everything started is stopped on exit; on a failed check the logs are printed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { applyOverlay, readOverlay, type Overlay } from '../runner/overlay.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const COMPOSE = ['compose', '-f', join(ROOT, 'envoy/docker-compose.yaml')];
const READY_TIMEOUT_MS = Number(process.env.VERIFY_READY_TIMEOUT_MS ?? 60_000);

type Mode = 'docker' | 'envoy' | 'local';

// ---------------------------------------------------------------------------------------------
// Processes and their logs

interface Started { name: string; child: ChildProcess; log: string[] }
const started: Started[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'routekey-verify-'));
let composeUp = false;

function start(name: string, cmd: string, args: string[]): Started {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const s: Started = { name, child, log: [] };
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) s.log.push(line);
    if (s.log.length > 400) s.log.splice(0, s.log.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', (code, signal) => s.log.push(`[${name} exited: ${signal ?? code}]`));
  started.push(s);
  return s;
}

function dumpLogs(): void {
  console.log('\n----- logs -----');
  if (composeUp) spawnSync('docker', [...COMPOSE, 'logs', '--no-color', '--tail', '200'], { stdio: 'inherit' });
  for (const s of started) {
    console.log(`--- ${s.name} (pid ${s.child.pid}) ---`);
    console.log(s.log.join('\n') || '(no output)');
  }
  console.log('----------------');
}

function cleanup(): void {
  for (const s of started) {
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid) {
      try {
        process.kill(-s.child.pid, 'SIGTERM'); // its own process group (detached), nothing else
      } catch {
        /* already gone */
      }
    }
  }
  if (composeUp) spawnSync('docker', [...COMPOSE, 'down', '--timeout', '5'], { stdio: 'ignore' });
  rmSync(tmp, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

// ---------------------------------------------------------------------------------------------
// HTTP

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, headers, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', fail);
    req.end();
  });
}

/** What the demo upstream (host/app/demo/upstream.mjs) answers. */
interface Echo { upstream: string; method: string; path: string; headers: Record<string, string | string[]> }

async function echo(port: number, headers: Record<string, string>): Promise<Echo> {
  const r = await get(port, '/verify', headers);
  if (r.status !== 200) throw new Error(`status ${r.status}, body ${JSON.stringify(r.body.slice(0, 300))}`);
  try {
    return JSON.parse(r.body) as Echo;
  } catch {
    throw new Error(`not the demo upstream's JSON: ${JSON.stringify(r.body.slice(0, 300))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Named checks

let failures = 0;

async function check(name: string, body: () => Promise<void>): Promise<boolean> {
  try {
    await body();
    console.log(`ok    ${name}`);
    return true;
  } catch (err) {
    failures++;
    console.log(`FAIL  ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function waitFor(what: string, probe: () => Promise<boolean>, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never answered';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
      last = 'not ready yet';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not ready after ${timeoutMs} ms (${last})`);
}

function header(e: Echo, name: string): string | undefined {
  const v = e.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Finds `name{labels} value` in Prometheus text and returns the value. */
function promValue(text: string, name: string, labels: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name && (m[2] ?? '') === labels) return Number(m[3]);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Setting up

function pickMode(): Mode {
  const forced = process.env.VERIFY_MODE as Mode | undefined;
  if (forced) return forced;
  if (spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 15_000 }).status === 0) return 'docker';
  if (spawnSync('envoy', ['--version'], { stdio: 'ignore', timeout: 15_000 }).status === 0) return 'envoy';
  console.log('SKIPPED real Envoy: no Docker engine and no envoy binary');
  console.log('        running the same checks against the local runner (host/app/cli.ts run)');
  return 'local';
}

/** envoy/local.yaml with the VERIFY_*_PORT overrides applied, written to a temp file. */
function localOverlay(): { path: string; overlay: Overlay } {
  const overlay: Overlay = readOverlay(parse(readFileSync(join(ROOT, 'envoy/local.yaml'), 'utf8')));
  const port = (env: string, fallback: number | undefined) => (process.env[env] ? Number(process.env[env]) : fallback ?? 0);
  overlay.listener!.port = port('VERIFY_LISTENER_PORT', overlay.listener!.port);
  overlay.admin!.port = port('VERIFY_ADMIN_PORT', overlay.admin!.port);
  overlay.clusters!.default.port = port('VERIFY_DEFAULT_PORT', overlay.clusters!.default.port);
  overlay.clusters!.dev.port = port('VERIFY_DEV_PORT', overlay.clusters!.dev.port);
  if (overlay.clusters!['routekey-rules']) overlay.clusters!['routekey-rules'].port = port('VERIFY_RULES_PORT', overlay.clusters!['routekey-rules'].port);
  overlay.wasm = { filename: resolve(ROOT, overlay.wasm!.filename) };
  const path = join(tmp, 'local.yaml');
  writeFileSync(path, stringify(overlay));
  return { path, overlay };
}

async function main(): Promise<number> {
  const mode = pickMode();
  let listenerPort = 10000;
  let adminPort = 9901;
  let rulesFile: string | undefined; // the copy of envoy/rules.json our rules server serves
  let rulesPort = 0;
  console.log(`mode: ${mode}`);

  if (mode === 'docker') {
    const up = spawnSync('docker', [...COMPOSE, 'up', '-d'], { stdio: 'inherit' });
    composeUp = true;
    if (up.status !== 0) {
      console.log('FAIL  docker compose up');
      dumpLogs();
      return 1;
    }
  } else {
    const { path, overlay } = localOverlay();
    listenerPort = overlay.listener!.port!;
    adminPort = overlay.admin!.port!;
    for (const name of ['default', 'dev']) {
      const upstream = join(ROOT, 'host/app/demo/upstream.mjs');
      start(`upstream-${name}`, process.execPath, [upstream, '--name', name, '--port', String(overlay.clusters![name].port), '--host', '127.0.0.1']);
    }
    const rules = overlay.clusters!['routekey-rules'];
    if (rules) {
      rulesFile = join(tmp, 'rules.json');
      rulesPort = rules.port!;
      writeFileSync(rulesFile, readFileSync(join(ROOT, 'envoy/rules.json')));
      start('rules-server', process.execPath, ['--import', 'tsx', join(ROOT, 'host/app/cli.ts'), 'rules-server', rulesFile, '--port', String(rules.port), '--host', '127.0.0.1']);
    }
    if (mode === 'envoy') {
      const bootstrap = applyOverlay(parse(readFileSync(join(ROOT, 'envoy/envoy.yaml'), 'utf8')), overlay, ROOT);
      const config = join(tmp, 'envoy.yaml');
      writeFileSync(config, stringify(bootstrap));
      start('envoy', 'envoy', ['-c', config, '--use-dynamic-base-id', '--log-level', 'info', '--component-log-level', 'wasm:info']);
    } else {
      start('runner', process.execPath, ['--import', 'tsx', join(ROOT, 'host/app/cli.ts'), 'run', '--config', join(ROOT, 'envoy/envoy.yaml'), '--overlay', path]);
    }
  }

  const ready = await check('wait_for ready', () =>
    waitFor('admin /ready and both upstreams', async () => {
      const r = await get(adminPort, '/ready');
      if (r.status !== 200) return false;
      await echo(listenerPort, {}); // the listener and the default upstream answer too
      if (rulesFile) {
        if ((await get(rulesPort, '/rules.json')).status !== 200) return false; // and the rules server
      }
      return true;
    }),
  );
  if (!ready) {
    dumpLogs();
    return 1;
  }

  await check('responds_with_upstream default (no routing key)', async () => {
    const e = await echo(listenerPort, {});
    if (e.upstream !== 'default') throw new Error(`reached upstream ${JSON.stringify(e.upstream)}`);
    if (header(e, 'dispatched') !== undefined) throw new Error('carries header dispatched');
  });
  await check('responds_with_upstream default (environment: staging, no such rewrite)', async () => {
    const e = await echo(listenerPort, { environment: 'staging' });
    if (e.upstream !== 'default') throw new Error(`reached upstream ${JSON.stringify(e.upstream)}`);
  });
  await check('responds_with_upstream dev (environment: dev)', async () => {
    const e = await echo(listenerPort, { environment: 'dev' });
    if (e.upstream !== 'dev') throw new Error(`reached upstream ${JSON.stringify(e.upstream)}`);
  });
  await check('responds_with_header dispatched true (environment: dev)', async () => {
    const e = await echo(listenerPort, { environment: 'dev' });
    if (header(e, 'dispatched') !== 'true') throw new Error(`dispatched is ${JSON.stringify(header(e, 'dispatched'))}`);
    if (header(e, 'host') !== 'dev.demo' && header(e, ':authority') !== 'dev.demo') {
      throw new Error(`upstream saw host ${JSON.stringify(header(e, 'host'))}, expected dev.demo`);
    }
  });
  await check('metrics routekey_routed{route="dev"} in /stats/prometheus', async () => {
    // The filter flushes its counts on a 1 s tick: wait up to two ticks for them.
    let r = await get(adminPort, '/stats/prometheus');
    for (let i = 0; i < 20 && r.status === 200 && !((promValue(r.body, 'routekey_routed', '{route="dev"}') ?? 0) >= 2 &&
      (promValue(r.body, 'routekey_default', '') ?? 0) >= 2); i++) {
      await new Promise((done) => setTimeout(done, 100));
      r = await get(adminPort, '/stats/prometheus');
    }
    if (r.status !== 200) throw new Error(`status ${r.status}`);
    const dev = promValue(r.body, 'routekey_routed', '{route="dev"}');
    if (dev === undefined || dev < 2) {
      const lines = r.body.split('\n').filter((l) => l.includes('routekey')).join(' | ');
      throw new Error(`expected routekey_routed{route="dev"} >= 2, got ${dev}; routekey lines: ${lines || 'none'}`);
    }
    const def = promValue(r.body, 'routekey_default', '');
    if (def === undefined || def < 2) throw new Error(`expected routekey_default >= 2, got ${def}`);
  });

  if (rulesFile) {
    const file = rulesFile;
    await check('live_rules an edit of the served rules file re-routes the next requests', async () => {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { version: string; routes: unknown[] };
      doc.version = 'verify-edit';
      doc.routes.push({ name: 'verify-live', keys: ['verify-live'], destination: 'http://dev.demo' });
      writeFileSync(file, JSON.stringify(doc, null, 2));
      const t0 = Date.now();
      await waitFor('the edited rules', async () => (await echo(listenerPort, { environment: 'verify-live' })).upstream === 'dev', 15_000);
      console.log(`      (re-routed ${Date.now() - t0} ms after the edit)`);
    });
  }

  if (failures > 0) {
    console.log(`\n${failures} check(s) failed`);
    dumpLogs();
    return 1;
  }
  console.log(`\nall checks passed (${mode})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.log(`FAIL  verify: ${err instanceof Error ? err.stack : String(err)}`);
    dumpLogs();
    process.exit(1);
  },
);
