// routekey's command line.
//
//   routekey run --config envoy.yaml [--overlay local.yaml] [--workers N] [--log-level LEVEL]
//   routekey run --rules rules.json --upstream NAME=HOST:PORT... [--port P] [--admin-port P] [--print-envoy]
//   routekey explain --config FILE [-H 'NAME: VALUE']... [-X METHOD] [--authority HOST] [PATH]
//   routekey explain --config FILE --table requests.yaml
//   routekey demo [--config FILE] [--overlay FILE] [--workers N] [--log-level LEVEL]
//   routekey validate FILE...
//   routekey upstream --name NAME [--port P] [--host H]
//   routekey rules-server FILE... [--port P] [--host H] [--wasm FILE]
//   routekey --version | --help | COMMAND --help
//
// Run directly (`node --import tsx host/app/cli.ts …`, what `npm start` does) or through
// bin/routekey.js (`npx routekey …`).

import { readFileSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { LogEntry, LogLevelSetting } from '../lib/index.ts';
import {
  BootstrapError, isLoopback, loadBootstrap, parseLogLevel, readBootstrap, startRunner, type Bootstrap, type Runner,
} from '../runner/index.ts';
import { runExplain } from './explain.ts';
import { envoyYaml, rulesBootstrap } from './rules-bootstrap.ts';
import { parseUpstreamFlag, type UpstreamFlag } from './upstream-map.ts';
import { UserError } from './user-error.ts';
import { scanFile } from './validate.ts';
import { runValidate } from './validate-command.ts';

const LEVELS = 'LEVEL: trace, debug, info, warning, error, critical, off.';

/** One usage text per command: `routekey CMD --help` prints its own, `routekey --help` all of them. */
const COMMAND_USAGE = {
  run: `  routekey run --config envoy.yaml [--overlay local.yaml] [--workers N] [--log-level LEVEL]
      Serve an Envoy bootstrap (its documented subset) locally: listeners, routes, clusters,
      the wasm filters it names, and the admin listener. The overlay moves addresses:
      {listener: {address, port}, admin: {address, port}, clusters: {NAME: {address, port}},
       wasm: {filename}} (paths relative to the current directory; port 0 = any free port).
      The file is a bootstrap (see envoy/envoy.yaml), not the filter's rules: check rules with validate.
  routekey run --rules rules.json --upstream NAME=HOST:PORT... [--port 10000] [--admin-port 9901] [--print-envoy] [--wasm FILE]
      Serve your own rules without writing a bootstrap: one listener on 127.0.0.1:PORT, the filter
      with the rules (JSON or YAML), a virtual host per destination the rules can produce (asked of
      build/routekey.wasm) and a cluster per upstream. A destination's host is served by the
      --upstream NAMEd that host, or else its first DNS label (dev.svc:8080 → dev.svc=…, else dev=…);
      --upstream default=… also takes requests the filter leaves alone (the * virtual host).
      --print-envoy writes that bootstrap as envoy.yaml to stdout instead (run --config reads it).
      --wasm: the module to run and to name in the bootstrap (default build/routekey.wasm).`,
  demo: `  routekey demo [--config envoy/envoy.yaml] [--overlay envoy/local.yaml] [--workers N] [--log-level LEVEL]
      Build build/routekey.wasm if needed, start the demo upstreams and the runner (npm start).
      envoy/local.yaml is applied to the demo's own envoy/envoy.yaml only: with --config, the
      bootstrap's addresses are used as they are unless --overlay is given.`,
  explain: `  routekey explain --config FILE [-H 'NAME: VALUE']... [-X GET] [--authority localhost] [--wasm FILE] [PATH]
  routekey explain --config FILE --table requests.yaml
      What the built filter (build/routekey.wasm) does with a request: its decision (the route's
      name, default or passthrough), the request headers it rewrites, and, when FILE is an Envoy
      bootstrap, the virtual host, route and cluster the router picks afterwards. FILE: rules
      (JSON/YAML), an Envoy bootstrap or a WasmPlugin; with several routekey filters in FILE,
      the first one is explained (and a note says so). --table: a list of
      {name?, request: {headers, path, authority, method}, expect: {route, authority, headers,
      cluster, virtualHost}} (all optional; headers: {NAME: null} = absent); one line per
      mismatch, exit 1 on any (for CI). Example: examples/requests.yaml.`,
  validate: `  routekey validate [--wasm FILE] [--allow-placeholders] [--bootstrap FILE] [--strict] FILE...
      Check routekey configurations (JSON, Envoy YAML or Istio WasmPlugin); warn when a
      destination matches no virtual host of the Envoy route configuration (--strict: an error).`,
  upstream: `  routekey upstream --name NAME [--port 8080] [--host 127.0.0.1]
      A demo upstream: answers every request with JSON {upstream, method, path, headers, bodyBytes}
      (host/app/demo/upstream.mjs). Listens on 127.0.0.1 unless --host says otherwise
      (--host 0.0.0.0 in a container); port 0 = any free port.`,
  'rules-server': `  routekey rules-server FILE... [--port 8080] [--host 127.0.0.1] [--wasm FILE]
      Serve rules documents to a rulesService: each FILE at /<its name> (envoy/rules.json at
      /rules.json), with an ETag (If-None-Match → 304) and long-poll (prefer: wait=N, at
      most 300: held until the file changes, else 304). An edited FILE is published once the
      filter's own parser (build/routekey.wasm, or --wasm FILE) accepts it, as routekey validate
      would; a refused edit is logged and the last good version keeps being served (a FILE bad
      from the start answers 503 until fixed). Listens on 127.0.0.1 unless --host says otherwise.`,
} as const;
type Command = keyof typeof COMMAND_USAGE;

const commandUsage = (c: Command) => `usage:\n${COMMAND_USAGE[c]}\n${c === 'validate' || c === 'upstream' || c === 'explain' || c === 'rules-server' ? '' : `${LEVELS}\n`}`;

const USAGE = `usage:
${Object.values(COMMAND_USAGE).join('\n')}
  routekey --version | --help | help COMMAND
${LEVELS}
`;

/** The version in package.json, read next to this file (the CLI runs from the checkout or the package). */
function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** A command line mistake: printed as one line with a pointer to --help, exit code 2. */
class UsageError extends Error {
  constructor(message: string, readonly command?: Command) {
    super(message);
  }
}

/** A start-up failure already phrased for the user: printed as one line, exit code 1. */
class CliError extends UserError {}

interface Flags {
  config?: string;
  overlay?: string;
  workers?: number;
  logLevel?: LogLevelSetting;
  name?: string;
  port?: number;
  host?: string;
  rules?: string;
  upstream?: UpstreamFlag[];
  adminPort?: number;
  printEnvoy?: boolean;
  header?: Array<[string, string]>;
  method?: string;
  authority?: string;
  table?: string;
  wasm?: string;
  /** The one positional argument of explain (the request path). */
  path?: string;
  /** The positional arguments of rules-server (the files to serve). */
  files?: string[];
  help?: boolean;
}

/** Every option takes a value; `parse` returns undefined for a value it refuses. */
interface OptionSpec {
  key: Exclude<keyof Flags, 'help' | 'path' | 'files'>;
  parse?: (v: string) => unknown;
  expected?: string;
  /** May be given more than once: the values are collected in a list. */
  repeat?: boolean;
  /** Takes no value: present = true. */
  boolean?: boolean;
}
const workers: OptionSpec = { key: 'workers', parse: (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? Number(v) : undefined), expected: 'a positive integer' };
const logLevel: OptionSpec = { key: 'logLevel', parse: (v) => parseLogLevel(v), expected: 'trace, debug, info, warning, error, critical or off' };
const port = (v: string) => (/^\d+$/.test(v) && Number(v) <= 65535 ? Number(v) : undefined);
const header = (v: string): [string, string] | undefined => {
  const colon = v.indexOf(':', v.startsWith(':') ? 1 : 0); // a pseudo-header such as ':path: /x'
  const name = colon > 0 ? v.slice(0, colon).trim() : '';
  return /^:?[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) ? [name, v.slice(colon + 1).trim()] : undefined;
};
const OPTIONS: Record<string, OptionSpec> = {
  '--config': { key: 'config' },
  '-c': { key: 'config' },
  '--overlay': { key: 'overlay' },
  '--workers': workers,
  '--log-level': logLevel,
  '-l': logLevel,
  '--name': { key: 'name' },
  '--port': { key: 'port', parse: port, expected: '0-65535' },
  '--host': { key: 'host' },
  '--rules': { key: 'rules' },
  '--upstream': { key: 'upstream', parse: parseUpstreamFlag, expected: 'NAME=HOST:PORT (e.g. dev=127.0.0.1:8081)', repeat: true },
  '--admin-port': { key: 'adminPort', parse: port, expected: '0-65535' },
  '--print-envoy': { key: 'printEnvoy', boolean: true },
  '-H': { key: 'header', parse: header, expected: "'NAME: VALUE'", repeat: true },
  '--header': { key: 'header', parse: header, expected: "'NAME: VALUE'", repeat: true },
  '-X': { key: 'method', parse: (v) => (/^[A-Z]+$/.test(v) ? v : undefined), expected: 'a method such as GET' },
  '--request': { key: 'method', parse: (v) => (/^[A-Z]+$/.test(v) ? v : undefined), expected: 'a method such as GET' },
  '--authority': { key: 'authority' },
  '--table': { key: 'table' },
  '--wasm': { key: 'wasm' },
};

const asksForHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

function parseFlags(command: Command, args: string[], allowed: Array<keyof Flags>): Flags {
  // Help wins over whatever else is on the line (a mistyped flag included), as in most CLIs.
  if (asksForHelp(args)) return { help: true };
  const flags: Flags = {};
  const usage = (message: string) => new UsageError(message, command);
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const [name, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined) throw usage(`${name} needs a value`);
      return v;
    };
    const option = Object.hasOwn(OPTIONS, name) ? OPTIONS[name] : undefined; // not the prototype's toString
    if (!option && !raw.startsWith('-') && allowed.includes('path') && flags.path === undefined) {
      flags.path = raw;
      continue;
    }
    if (!option && !raw.startsWith('-') && allowed.includes('files')) {
      (flags.files ??= []).push(raw);
      continue;
    }
    if (!option) throw usage(raw.startsWith('-') ? `unknown option ${name}` : `unexpected argument "${raw}"`);
    const key = option.key;
    if (!allowed.includes(key)) throw usage(`unknown option ${name}`);
    if (option.boolean) {
      if (inline !== undefined) throw usage(`${name} takes no value`);
      (flags as Record<string, unknown>)[key] = true;
      continue;
    }
    const v = value();
    const parsed = option.parse ? option.parse(v) : v;
    if (parsed === undefined) throw usage(`${name}: expected ${option.expected}, got "${v}"`);
    if (option.repeat) ((flags as Record<string, unknown[]>)[key] ??= []).push(parsed);
    else (flags as Record<string, unknown>)[key] = parsed;
  }
  return flags;
}

function printPluginLog(e: LogEntry, filterName: string) {
  console.error(`[${e.level === 'warn' ? 'warning' : e.level}][wasm] ${filterName} ${e.vm}: ${e.message}`);
}

/** Explains a start-up failure; true when it was one we know how to explain. */
function explain(e: unknown): boolean {
  const err = e as Error & { logs?: LogEntry[] };
  if (err instanceof BootstrapError || err instanceof UserError || err?.name === 'DemoError') {
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
  const errno = err as NodeJS.ErrnoException;
  if (errno?.code && errno.path && FILE_PROBLEMS[errno.code]) {
    // A file the bootstrap names (the .wasm module), read after the bootstrap itself.
    const hint = errno.path.endsWith('.wasm') ? ' (the wasm filter\'s filename; --overlay FILE with wasm: {filename: build/routekey.wasm} moves it)' : '';
    console.error(`routekey: ${errno.path}: ${FILE_PROBLEMS[errno.code]}${hint}`);
    return true;
  }
  return false;
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
};

/** Refuses a file given on the command line that cannot be read, naming the flag and the file. */
function readableFile(flag: string, file: string): string {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    readFileSync(file, { flag: 'r' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw new CliError(`${flag} ${file}: ${FILE_PROBLEMS[code] ?? `cannot read (${code || (e as Error).message})`}`);
  }
  return file;
}

/**
 * The filter's rules (or a WasmPlugin) given where an Envoy bootstrap is expected: the most
 * likely first try with one's own rules, which the bootstrap reader would only report as
 * "static_resources: expected an object".
 */
function refuseNonBootstrap(command: Command, file: string) {
  let found: ReturnType<typeof scanFile>;
  try {
    found = scanFile(file, readFileSync(file, 'utf8'));
  } catch {
    return; // not readable as JSON/YAML: the bootstrap reader says why
  }
  const first = found.configurations[0];
  if (!first || (first.where !== '' && !first.where.startsWith('WasmPlugin'))) return;
  const what = first.where === '' ? 'a routekey configuration (the filter\'s rules)' : 'an Istio WasmPlugin';
  throw new CliError(`${file} looks like ${what}, but ${command} --config expects an Envoy bootstrap that loads the filter ` +
    `(envoy/envoy.yaml is one: the rules go in its wasm filter's configuration); check the rules alone with: routekey validate ${file}` +
    (first.where === '' ? `; serve them with a generated bootstrap: routekey run --rules ${file} --upstream NAME=HOST:PORT…` : ''));
}

/** Something the runner or the demo listens on, and how the user moves it. */
interface Socket {
  address: string;
  port: number;
  what: string;
  move: string;
}

/** What a bootstrap listens on; `overlay` is the overlay file in use, if any. */
function sockets(b: Bootstrap, config: string, overlay: string | undefined, withUpstreams: boolean): Socket[] {
  const field = (f: string) => (overlay ? `${f} in ${overlay} (or another --overlay FILE)` : `--overlay FILE with ${f.replace(/\.port$/, '')}: {port: N}`);
  const out: Socket[] = b.listeners.map((l, i) => ({
    ...l.address,
    what: `listener ${l.name}`,
    // The overlay's listener entry moves the first listener only.
    move: i === 0 ? field('listener.port') : `static_resources.listeners[${i}] in ${config}`,
  }));
  if (b.admin) out.push({ ...b.admin, what: 'admin', move: field('admin.port') });
  if (withUpstreams) {
    for (const c of b.clusters.values()) {
      for (const e of c.endpoints) out.push({ ...e, what: `demo upstream ${c.name}`, move: field(`clusters.${c.name}.port`) });
    }
  }
  return out;
}

const LISTEN_PROBLEMS: Record<string, string> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'may not be opened by this user (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'is not an address of this machine',
};

/** Rephrases a failed listen() as one line naming the address, what wanted it and how to move it. */
function listenProblem(e: unknown, known: Socket[]): CliError | undefined {
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  if (err?.syscall !== 'listen' || !err.code || !LISTEN_PROBLEMS[err.code]) return undefined;
  const wildcard = (a: string) => a === '0.0.0.0' || a === '::';
  const site = known.find((s) => s.port === err.port && (s.address === err.address || wildcard(s.address) || s.address === 'localhost'));
  const where = `${err.address?.includes(':') ? `[${err.address}]` : err.address}:${err.port}`;
  const move = site ? ` (${site.what}): move it with ${site.move}; port 0 = any free port` : '';
  return new CliError(`${where} ${LISTEN_PROBLEMS[err.code]}${move}`);
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

/** Flags that belong to one way of running only, named in the message when mixed with the other. */
const RULES_ONLY = ['upstream', 'port', 'adminPort', 'printEnvoy', 'wasm'] as const;

async function cmdRun(args: string[]): Promise<number> {
  const flags = parseFlags('run', args, ['config', 'overlay', 'workers', 'logLevel', 'rules', ...RULES_ONLY]);
  if (flags.help) return help('run');
  if (flags.rules !== undefined) return cmdRunRules(flags);
  const misplaced = RULES_ONLY.find((k) => flags[k] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --rules FILE (a --config bootstrap names its own addresses)`, 'run');
  if (!flags.config) throw new UsageError('--config FILE (an Envoy bootstrap) or --rules FILE (the filter\'s rules) is required', 'run');
  readableFile('--config', flags.config);
  if (flags.overlay) readableFile('--overlay', flags.overlay);
  refuseNonBootstrap('run', flags.config);
  return serveBootstrap(loadBootstrap(flags.config, flags.overlay), flags, (b) => sockets(b, flags.config!, flags.overlay, false));
}

/** `run --rules`: the bootstrap is generated (rules-bootstrap.ts), then served as --config would be. */
async function cmdRunRules(flags: Flags): Promise<number> {
  if (flags.config || flags.overlay) throw new UsageError(`${flags.config ? '--config' : '--overlay'} and --rules are two ways of running: give one`, 'run');
  if (!flags.upstream?.length) throw new UsageError('--rules needs at least one --upstream NAME=HOST:PORT (e.g. --upstream default=127.0.0.1:8080)', 'run');
  readableFile('--rules', flags.rules!);
  if (flags.wasm) readableFile('--wasm', flags.wasm);
  const port = flags.port ?? 10000;
  const adminPort = flags.adminPort ?? 9901;
  const generated = await rulesBootstrap({ rules: flags.rules!, upstreams: flags.upstream, port, adminPort, wasm: flags.wasm });
  for (const n of generated.notes) console.error(`routekey: note: ${n}`);
  if (flags.printEnvoy) {
    console.log(envoyYaml(generated, flags.rules!).trimEnd());
    return 0;
  }
  const moves: Socket[] = [
    { address: '127.0.0.1', port, what: 'listener main', move: '--port' },
    { address: '127.0.0.1', port: adminPort, what: 'admin', move: '--admin-port' },
  ];
  return serveBootstrap(readBootstrap(generated.doc), flags, () => moves, (runner) => {
    const url = runner.listeners[0]!.url;
    for (const d of generated.destinations) {
      const k = d.key;
      const flags = [k && k.header !== ':path' ? `-H '${k.header === ':authority' ? 'host' : k.header}: ${k.value}' ` : '', d.host ? `-H 'host: ${d.host}' ` : ''].join('');
      const curl = `curl -s ${flags}${url}${k?.header === ':path' ? k.value : '/'}`;
      console.error(`routekey: ${d.route} → ${d.authority ?? "the client's Host (the * virtual host)"}: ${curl}`);
    }
  });
}

async function serveBootstrap(bootstrap: Bootstrap, flags: Flags, known: (b: Bootstrap) => Socket[], started?: (r: Runner) => void): Promise<number> {
  for (const w of bootstrap.warnings) console.error(`routekey: warning: ${w}`);
  const stop = stopSignal();
  let runner: Runner;
  try {
    runner = await startRunner({
      bootstrap,
      workers: flags.workers,
      logLevel: flags.logLevel,
      onPluginLog: (e, f) => printPluginLog(e, f.name),
      accessLog: (line) => console.log(line),
      log: (line) => console.error(`routekey: ${line}`),
      onQuit: () => stop.trigger('/quitquitquit'),
    });
  } catch (e) {
    throw listenProblem(e, known(bootstrap)) ?? e;
  }
  for (const l of runner.listeners) console.error(`routekey: listener ${l.name} on ${l.address}:${l.port}`);
  if (runner.admin) {
    const a = runner.admin;
    console.error(`routekey: admin on ${a.address}:${a.port}`);
    if (!isLoopback(a.address)) {
      console.error(`routekey: warning: admin listens on ${a.address}:${a.port} as the bootstrap says (like Envoy), not on loopback: ` +
        'whoever reaches it can change the log level and stop the runner (move it with --overlay, admin: {address: 127.0.0.1})');
    }
  }
  started?.(runner);
  await serveUntilStopped(runner, stop);
  return 0;
}

async function cmdDemo(args: string[]): Promise<number> {
  const flags = parseFlags('demo', args, ['config', 'overlay', 'workers', 'logLevel']);
  if (flags.help) return help('demo');
  if (flags.config) {
    readableFile('--config', flags.config);
    refuseNonBootstrap('demo', flags.config);
  }
  if (flags.overlay) readableFile('--overlay', flags.overlay);
  const demo = await import('./demo/index.ts');
  if (demo.wasmIsStale()) {
    console.log('routekey: build/routekey.wasm is missing or older than assembly/; running npm run build');
    await demo.buildWasm();
  }
  const stop = stopSignal();
  let known: Socket[] = [];
  const running = await demo.startDemo({
    config: flags.config, overlay: flags.overlay, workers: flags.workers, logLevel: flags.logLevel,
    loaded: (b, overlay) => {
      known = sockets(b, flags.config ?? demo.DEMO_CONFIG, overlay, true);
    },
  }).catch((e: unknown) => {
    throw listenProblem(e, known) ?? e;
  });
  console.log(demo.demoInstructions(running));
  await serveUntilStopped(running, stop);
  return 0;
}

async function cmdExplain(args: string[]): Promise<number> {
  const flags = parseFlags('explain', args, ['config', 'header', 'method', 'authority', 'table', 'wasm', 'path']);
  if (flags.help) return help('explain');
  if (!flags.config) throw new UsageError('--config FILE is required (rules, an Envoy bootstrap or a WasmPlugin)', 'explain');
  readableFile('--config', flags.config);
  if (flags.wasm) readableFile('--wasm', flags.wasm);
  if (flags.table) {
    const single = (['header', 'method', 'authority', 'path'] as const).find((k) => flags[k] !== undefined);
    if (single) throw new UsageError(`--table FILE holds the requests: ${single === 'path' ? `"${flags.path}"` : `--${single}`} belongs to a single request`, 'explain');
    readableFile('--table', flags.table);
  }
  if (flags.path !== undefined && !flags.path.startsWith('/')) throw new UsageError(`PATH must start with /, got "${flags.path}"`, 'explain');
  return runExplain({
    config: flags.config,
    wasm: flags.wasm,
    table: flags.table,
    request: { method: flags.method ?? 'GET', path: flags.path ?? '/', authority: flags.authority ?? 'localhost', headers: flags.header ?? [] },
  });
}

async function cmdUpstream(args: string[]): Promise<number> {
  const flags = parseFlags('upstream', args, ['name', 'port', 'host']);
  if (flags.help) return help('upstream');
  if (!flags.name) throw new UsageError('--name NAME is required (what the upstream answers as "upstream")', 'upstream');
  const { startUpstream } = await import('./demo/upstream.mjs');
  // Loopback by default, unlike upstream.mjs run bare (0.0.0.0 for its container): on a
  // workstation the runner reaches it on 127.0.0.1 and nobody else needs to.
  const host = flags.host ?? '127.0.0.1';
  const port = flags.port ?? 8080;
  const up = await startUpstream({ name: flags.name, port, host }).catch((e: unknown) => {
    throw listenProblem(e, [{ address: host, port, what: `upstream ${flags.name}`, move: '--port' }]) ?? e;
  });
  console.log(`routekey: upstream ${up.name} listening on ${up.address}:${up.port}`);
  const stop = stopSignal();
  await serveUntilStopped(up, stop);
  return 0;
}

async function cmdRulesServer(args: string[]): Promise<number> {
  const flags = parseFlags('rules-server', args, ['files', 'port', 'host', 'wasm']);
  if (flags.help) return help('rules-server');
  if (!flags.files?.length) throw new UsageError('FILE... is required (the rules documents to serve)', 'rules-server');
  for (const f of flags.files) readableFile('FILE', f);
  if (flags.wasm) readableFile('--wasm', flags.wasm);
  const { startRulesServer } = await import('./rules-server.ts');
  const host = flags.host ?? '127.0.0.1';
  const port = flags.port ?? 8080;
  const server = await startRulesServer({ files: flags.files, port, host, wasm: flags.wasm }).catch((e: unknown) => {
    throw listenProblem(e, [{ address: host, port, what: 'rules-server', move: '--port' }]) ?? e;
  });
  for (const [file, path] of server.paths) console.error(`routekey rules-server: ${file} at http://${host}:${server.port}${path}`);
  const stop = stopSignal();
  await serveUntilStopped(server, stop);
  return 0;
}

function help(command: Command): number {
  console.log(commandUsage(command));
  return 0;
}

/** validate parses its own arguments (host/app/validate-command.ts); an option it does not know is a usage error here, not a file name. */
function checkValidateOptions(args: string[]) {
  if (asksForHelp(args)) return;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--wasm') i++;
    else if (a === '--bootstrap') i++;
    else if (a.startsWith('-') && !a.startsWith('--wasm=') && !a.startsWith('--bootstrap=') && a !== '--allow-placeholders' && a !== '--strict') throw new UsageError(`unknown option ${a}`, 'validate');
  }
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
        checkValidateOptions(args);
        return await runValidate(args);
      case 'upstream':
        return await cmdUpstream(args);
      case 'rules-server':
        return await cmdRulesServer(args);
      case 'explain':
        return await cmdExplain(args);
      case '--version':
      case '-V':
        console.log(version());
        return 0;
      case 'help':
        // validate's full text lives with its argument parser (host/app/validate-command.ts).
        if (args[0] === 'validate') return await runValidate(['--help']);
        if (args[0] && args[0] in COMMAND_USAGE) return help(args[0] as Command);
        if (args[0]) throw new UsageError(`unknown command "${args[0]}"`);
        console.log(USAGE);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        (command === undefined ? console.error : console.log)(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(command.startsWith('-') ? `unknown option ${command}` : `unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      const where = e.command ? `routekey ${e.command}` : 'routekey';
      console.error(`${where}: ${e.message} (${where} --help for usage)`);
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
