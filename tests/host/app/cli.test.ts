// `routekey` as a process (node --import tsx host/app/cli.ts …): help and version, usage errors as
// one line with exit 2, and start-up failures (a file, a port in use, rules where a bootstrap
// belongs) as one line naming what to change, exit 1, no stack trace. Only 127.0.0.1.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, wasmIsStale } from '../../../host/app/demo/index.ts';

const WASM = join(REPO_ROOT, 'build', 'routekey.wasm');
const noWasm = wasmIsStale() ? 'build/routekey.wasm is missing or stale (npm run build)' : false;

interface Started {
  /** stdout + stderr so far. */
  out(): string;
  stdout(): string;
  /** Resolves with the first match in the output; rejects when the process exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** The exit code; SIGTERM first when `stop`, SIGKILL after `ms`. */
  exit(opts?: { stop?: boolean; ms?: number }): Promise<number | null>;
}

function cli(args: string[]): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'host/app/cli.ts', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let all = '';
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => ((stdout += d), (all += d)));
  child.stderr.on('data', (d: Buffer) => (all += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    out: () => all,
    stdout: () => stdout,
    waitFor: async (re, ms = 15_000) => {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = all.match(re);
        if (m) return m;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${re}; output:\n${all}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    exit: async ({ stop = false, ms = 15_000 } = {}) => {
      if (stop && child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** Runs to completion: exit code and output. */
async function runCli(...args: string[]) {
  const p = cli(args);
  const code = await p.exit();
  return { code, out: p.out(), stdout: p.stdout() };
}

/** A one-line message, no stack frames. */
function assertOneLine(out: string, re: RegExp) {
  const lines = out.trimEnd().split('\n').filter((l) => l.startsWith('routekey'));
  assert.equal(lines.length, 1, out);
  assert.match(lines[0]!, re);
  assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
}

const COMMANDS = ['run', 'demo', 'upstream', 'validate', 'rules-server'];
const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;

describe('help, version and usage errors', { concurrency: true, timeout: 60_000 }, () => {
  test('--version prints the package version', async () => {
    const r = await runCli('--version');
    assert.deepEqual([r.code, r.stdout], [0, `${version}\n`]);
  });

  test('--help and help list every command', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await runCli(...args);
      assert.equal(r.code, 0);
      for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  routekey ${c} `, 'm'), `${args}: ${c}`);
      assert.match(r.stdout, /--version/);
    }
  });

  for (const command of COMMANDS) {
    test(`${command} --help / -h: its usage on stdout, exit 0`, async () => {
      for (const flag of ['--help', '-h']) {
        const r = await runCli(command, flag);
        assert.equal(r.code, 0, r.out);
        assert.match(r.stdout, new RegExp(`^usage:\\s+routekey ${command} `, 'm'));
        for (const other of COMMANDS) if (other !== command) assert.ok(!r.stdout.includes(`routekey ${other} `), `no usage of ${other}`);
      }
      // Help wins over the other flags, as in most command lines.
      assert.equal((await runCli(command, '--config', 'x.yaml', '--help')).code, 0);
    });

    test(`${command} --bogus: one line naming the option, a pointer to --help, exit 2`, async () => {
      const r = await runCli(command, '--bogus', 'x');
      assert.equal(r.code, 2);
      assert.equal(r.out, `routekey ${command}: unknown option --bogus (routekey ${command} --help for usage)\n`);
    });
  }

  test('an option of another command, a stray argument, an unknown command', async () => {
    assert.equal((await runCli('run', '--name', 'x')).out, 'routekey run: unknown option --name (routekey run --help for usage)\n');
    assert.equal((await runCli('run', 'envoy.yaml')).out, 'routekey run: unexpected argument "envoy.yaml" (routekey run --help for usage)\n');
    const r = await runCli('--bogus');
    assert.deepEqual([r.code, r.out], [2, 'routekey: unknown option --bogus (routekey --help for usage)\n']);
    assert.equal((await runCli('frobnicate')).code, 2);
    assert.equal((await runCli('upstream', '--port', '70000', '--name', 'a')).out, 'routekey upstream: --port: expected 0-65535, got "70000" (routekey upstream --help for usage)\n');
  });
});

describe('start-up failures in one line', { concurrency: true, timeout: 60_000 }, () => {
  let dir = '';
  let busy: Server;
  let busyPort = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-cli-'));
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => busy.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  /** An overlay: everything on 127.0.0.1, port 0 unless given. */
  const overlay = (name: string, ports: { listener?: number; admin?: number; default?: number } = {}) =>
    file(name, stringify({
      listener: { address: '127.0.0.1', port: ports.listener ?? 0 },
      admin: { address: '127.0.0.1', port: ports.admin ?? 0 },
      clusters: { default: { address: '127.0.0.1', port: ports.default ?? 0 }, dev: { address: '127.0.0.1', port: 0 } },
      wasm: { filename: WASM },
    }));

  for (const command of ['run', 'demo']) {
    test(`${command}: a missing --config or --overlay file is named`, async () => {
      const missing = join(dir, 'nope.yaml');
      let r = await runCli(command, '--config', missing);
      assert.equal(r.code, 1);
      assertOneLine(r.out, new RegExp(`^routekey: --config ${missing}: no such file$`));
      r = await runCli(command, '--config', 'envoy/envoy.yaml', '--overlay', missing);
      assertOneLine(r.out, new RegExp(`^routekey: --overlay ${missing}: no such file$`));
      r = await runCli(command, '--config', dir);
      assertOneLine(r.out, /: is a directory, not a file$/);
    });

    test(`${command} --config RULES: says it is a routekey configuration and run wants a bootstrap`, async () => {
      for (const rules of [
        file(`${command}-rules.json`, '{"key":"environment","destination":"http://default.demo"}'),
        file(`${command}-rules.yaml`, 'key: environment\ndefault: {destination: http://default.demo}\n'),
      ]) {
        const r = await runCli(command, '--config', rules);
        assert.equal(r.code, 1);
        assertOneLine(r.out, /looks like a routekey configuration \(the filter's rules\), but \w+ --config expects an Envoy bootstrap/);
        assert.match(r.out, /envoy\/envoy\.yaml is one/);
        assert.ok(r.out.includes(`routekey validate ${rules}`), r.out);
      }
    });
  }

  test('run --config WASMPLUGIN: says what it is', async () => {
    const wp = file('wp.yaml', 'apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: r}\nspec: {pluginName: routekey, pluginConfig: {key: a}}\n');
    assertOneLine((await runCli('run', '--config', wp)).out, /looks like an Istio WasmPlugin, but run --config expects an Envoy bootstrap/);
  });

  test('run: the wasm file the bootstrap names is missing → named, with the overlay field', async () => {
    const r = await runCli('run', '--config', 'envoy/envoy.yaml');
    assert.equal(r.code, 1);
    assertOneLine(r.out, /^routekey: \/etc\/routekey\/routekey\.wasm: no such file \(.*wasm: \{filename: build\/routekey\.wasm\}/);
  });

  test('run: listener port in use → address:port, which listener, the overlay field', { skip: noWasm }, async () => {
    const ov = overlay('run-busy.yaml', { listener: busyPort });
    const r = await runCli('run', '--config', 'envoy/envoy.yaml', '--overlay', ov, '--workers', '1');
    assert.equal(r.code, 1);
    assertOneLine(r.out, new RegExp(`^routekey: 127\\.0\\.0\\.1:${busyPort} is already in use \\(listener main\\): move it with listener\\.port in ${ov}`));
  });

  test('run: admin port in use, no overlay file given → the --overlay field to add', { skip: noWasm }, async () => {
    const bootstrap = parse(readFileSync(join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8'));
    bootstrap.admin.address.socket_address = { address: '127.0.0.1', port_value: busyPort };
    bootstrap.static_resources.listeners[0].address.socket_address = { address: '127.0.0.1', port_value: 0 };
    const hcm = bootstrap.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    hcm.http_filters[0].typed_config.config.vm_config.code.local.filename = WASM;
    const cfg = file('admin-busy.yaml', stringify(bootstrap));
    const r = await runCli('run', '--config', cfg, '--workers', '1');
    assertOneLine(r.out, new RegExp(`^routekey: 127\\.0\\.0\\.1:${busyPort} is already in use \\(admin\\): move it with --overlay FILE with admin: \\{port: N\\}`));
  });

  test('demo: a demo upstream port in use → the cluster and its overlay field', { skip: noWasm }, async () => {
    const ov = overlay('demo-busy.yaml', { default: busyPort });
    const r = await runCli('demo', '--overlay', ov);
    assert.equal(r.code, 1);
    assertOneLine(r.out, new RegExp(`^routekey: 127\\.0\\.0\\.1:${busyPort} is already in use \\(demo upstream default\\): move it with clusters\\.default\\.port in ${ov}`));
  });

  test('upstream: port in use → says so and names --port', async () => {
    const r = await runCli('upstream', '--name', 'x', '--port', String(busyPort));
    assert.equal(r.code, 1);
    assertOneLine(r.out, new RegExp(`^routekey: 127\\.0\\.0\\.1:${busyPort} is already in use \\(upstream x\\): move it with --port`));
  });

  test('demo --config OTHER: envoy/local.yaml is not applied to it (it says so) and the demo runs', { skip: noWasm }, async () => {
    // Clusters named otherwise than the demo's: the demo overlay (clusters default, dev) would refuse them.
    const text = readFileSync(join(REPO_ROOT, 'envoy/envoy.yaml'), 'utf8')
      .replace(/\b(cluster|cluster_name|name): (default|dev)\b/g, '$1: $2-svc')
      .replace(/address: upstream-[a-z]+/g, 'address: 127.0.0.1').replace(/port_value: \d+/g, 'port_value: 0')
      .replace(/address: 0\.0\.0\.0/g, 'address: 127.0.0.1').replace('/etc/routekey/routekey.wasm', WASM);
    assert.match(text, /name: dev-svc/);
    const p = cli(['demo', '--config', file('mine.yaml', text)]);
    try {
      await p.waitFor(/the demo overlay \(envoy\/local\.yaml\) is not applied to your bootstrap/);
      const [, port] = await p.waitFor(/listener http:\/\/127\.0\.0\.1:(\d+)/);
      const reply = await fetch(`http://127.0.0.1:${port}/hello`, { headers: { environment: 'dev' } });
      assert.equal((await reply.json()).upstream, 'dev-svc');
    } finally {
      assert.equal(await p.exit({ stop: true }), 0, p.out());
    }
  });
});

test('routekey upstream --name N --port 0: answers as N on 127.0.0.1, stops on SIGTERM', { timeout: 30_000 }, async () => {
  const p = cli(['upstream', '--name', 'blue', '--port', '0']);
  try {
    const [, port] = await p.waitFor(/routekey: upstream blue listening on 127\.0\.0\.1:(\d+)/);
    const reply = await fetch(`http://127.0.0.1:${port}/x?y=1`, { headers: { 'x-env': 'dev' } });
    const body = await reply.json();
    assert.deepEqual([body.upstream, body.path, body.headers['x-env']], ['blue', '/x?y=1', 'dev']);
  } finally {
    assert.equal(await p.exit({ stop: true }), 0, p.out());
  }
});

test('validate --config (an option validate does not take) is a usage error, not a file name', { timeout: 30_000 }, async () => {
  const r = await runCli('validate', '--config', 'envoy/envoy.yaml');
  assert.deepEqual([r.code, r.out], [2, 'routekey validate: unknown option --config (routekey validate --help for usage)\n']);
  assert.equal((await runCli('validate', '--wasm', WASM, 'envoy/envoy.yaml')).code, noWasm ? 1 : 0);
});

