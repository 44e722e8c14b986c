// routekey's command line.
//
//   routekey run --config envoy.yaml [--overlay local.yaml] [--workers N] [--log-level LEVEL]
//   routekey demo [--config FILE] [--overlay FILE] [--workers N] [--log-level LEVEL]
//   routekey validate FILE...
//
// Run directly (`node --import tsx host/app/cli.ts …`, what `npm start` does) or through
// bin/routekey.js (`npx routekey …`).

import { pathToFileURL } from 'node:url';
import type { LogEntry, LogLevelSetting } from '../lib/index.ts';
import { BootstrapError, isLoopback, loadBootstrap, parseLogLevel, startRunner, type Runner } from '../runner/index.ts';
import { runValidate } from './validate.ts';

const USAGE = `usage:
  routekey run --config envoy.yaml [--overlay local.yaml] [--workers N] [--log-level LEVEL]
      Serve an Envoy bootstrap (its documented subset) locally: listeners, routes, clusters,
      the wasm filters it names, and the admin listener. The overlay moves addresses:
      {listener: {address, port}, admin: {address, port}, clusters: {NAME: {address, port}},
       wasm: {filename}} (paths relative to the current directory; port 0 = any free port).
  routekey demo [--config envoy/envoy.yaml] [--overlay envoy/local.yaml] [--workers N] [--log-level LEVEL]
      Build build/routekey.wasm if needed, start the demo upstreams and the runner (npm start).
  routekey validate FILE...
      Check routekey configurations (JSON, Envoy YAML or Istio WasmPlugin).
LEVEL: trace, debug, info, warning, error, critical, off.
`;

class UsageError extends Error {}

interface Flags {
  config?: string;
  overlay?: string;
  workers?: number;
  logLevel?: LogLevelSetting;
}

function parseFlags(args: string[], allowed: Array<keyof Flags>): Flags {
  const flags: Flags = {};
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const [name, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--config':
      case '-c':
        flags.config = value();
        break;
      case '--overlay':
        flags.overlay = value();
        break;
      case '--workers': {
        const v = value();
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--workers: expected a positive integer, got "${v}"`);
        flags.workers = Number(v);
        break;
      }
      case '--log-level':
      case '-l': {
        const v = value();
        const level = parseLogLevel(v);
        if (!level) throw new UsageError(`--log-level: expected trace, debug, info, warning, error, critical or off, got "${v}"`);
        flags.logLevel = level;
        break;
      }
      default:
        throw new UsageError(`unknown option ${raw}`);
    }
    const key = name === '-c' ? 'config' : name === '-l' ? 'logLevel' : name === '--log-level' ? 'logLevel' : (name.slice(2) as keyof Flags);
    if (!allowed.includes(key)) throw new UsageError(`unknown option ${name}`);
  }
  return flags;
}

function printPluginLog(e: LogEntry, filterName: string) {
  console.error(`[${e.level === 'warn' ? 'warning' : e.level}][wasm] ${filterName} ${e.vm}: ${e.message}`);
}

/** Explains a start-up failure; true when it was one we know how to explain. */
function explain(e: unknown): boolean {
  const err = e as Error & { logs?: LogEntry[] };
  if (err instanceof BootstrapError) {
    console.error(`routekey: ${err.message}`);
    return true;
  }
  if (err?.name === 'ModuleRejectedError') {
    console.error(`routekey: the wasm module was refused (as Envoy would): ${err.message}`);
    return true;
  }
  if (err?.name === 'ConfigRejectedError') {
    console.error(`routekey: the wasm filter refused its configuration: ${err.message}`);
    for (const l of err.logs ?? []) console.error(`  [${l.level}] ${l.vm}: ${l.message}`);
    return true;
  }
  return false;
}

/** Resolves when SIGINT/SIGTERM (or /quitquitquit) asks to stop; a second signal exits at once. */
function stopSignal(): { promise: Promise<string>; trigger: (why: string) => void } {
  let trigger!: (why: string) => void;
  const promise = new Promise<string>((resolve) => {
    trigger = resolve;
  });
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++count > 1) process.exit(130);
    trigger(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { promise, trigger };
}

async function serveUntilStopped(runner: Runner | { close(): Promise<void> }, stop: { promise: Promise<string> }) {
  const why = await stop.promise;
  console.error(`routekey: ${why}, shutting down`);
  const timer = setTimeout(() => {
    console.error('routekey: shutdown took longer than 5 s, exiting');
    process.exit(1);
  }, 5000);
  timer.unref();
  await runner.close();
  clearTimeout(timer);
}

async function cmdRun(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['config', 'overlay', 'workers', 'logLevel']);
  if (!flags.config) throw new UsageError('run: --config FILE is required');
  const bootstrap = loadBootstrap(flags.config, flags.overlay);
  for (const w of bootstrap.warnings) console.error(`routekey: warning: ${w}`);
  const stop = stopSignal();
  const runner = await startRunner({
    bootstrap,
    workers: flags.workers,
    logLevel: flags.logLevel,
    onPluginLog: (e, f) => printPluginLog(e, f.name),
    accessLog: (line) => console.log(line),
    log: (line) => console.error(`routekey: ${line}`),
    onQuit: () => stop.trigger('/quitquitquit'),
  });
  for (const l of runner.listeners) console.error(`routekey: listener ${l.name} on ${l.address}:${l.port}`);
  if (runner.admin) {
    const a = runner.admin;
    console.error(`routekey: admin on ${a.address}:${a.port}`);
    if (!isLoopback(a.address)) {
      console.error(`routekey: warning: admin listens on ${a.address}:${a.port} as the bootstrap says (like Envoy), not on loopback: ` +
        'whoever reaches it can change the log level and stop the runner (move it with --overlay, admin: {address: 127.0.0.1})');
    }
  }
  await serveUntilStopped(runner, stop);
  return 0;
}

async function cmdDemo(args: string[]): Promise<number> {
  const flags = parseFlags(args, ['config', 'overlay', 'workers', 'logLevel']);
  const demo = await import('./demo/index.ts');
  if (demo.wasmIsStale()) {
    console.log('routekey: build/routekey.wasm is missing or older than assembly/; running npm run build');
    await demo.buildWasm();
  }
  const stop = stopSignal();
  const running = await demo.startDemo({ config: flags.config, overlay: flags.overlay, workers: flags.workers, logLevel: flags.logLevel });
  console.log(demo.demoInstructions(running));
  await serveUntilStopped(running, stop);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'run':
        return await cmdRun(args);
      case 'demo':
        return await cmdDemo(args);
      case 'validate':
        return await runValidate(args);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        (command === undefined ? console.error : console.log)(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`routekey: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    if (explain(e)) return 1;
    console.error(`routekey: ${(e as Error)?.stack ?? e}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
