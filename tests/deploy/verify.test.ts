// envoy/verify.sh as a test: real Envoy when Docker or an envoy binary is there, else the local
// runner (verify says which). Free ports are picked so it can run beside other tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { ROOT, at, filterMissing } from './deploy-helpers.ts';

const TIMEOUT_MS = 150_000;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

test('envoy/verify.sh: all named checks pass', { timeout: TIMEOUT_MS + 10_000 }, async (t) => {
  const missing = filterMissing()
    ?? (existsSync(at('host/app/cli.ts')) ? undefined : 'host/app/cli.ts (the local runner) is not there yet')
    ?? (existsSync(at('host/app/demo/upstream.mjs')) ? undefined : 'host/app/demo/upstream.mjs is not there yet');
  if (missing) return t.skip(missing);
  const [listener, admin, def, dev, rules] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const child = spawn('bash', [at('envoy/verify.sh')], {
    cwd: ROOT,
    env: {
      ...process.env,
      VERIFY_LISTENER_PORT: String(listener),
      VERIFY_ADMIN_PORT: String(admin),
      VERIFY_DEFAULT_PORT: String(def),
      VERIFY_DEV_PORT: String(dev),
      VERIFY_RULES_PORT: String(rules),
      VERIFY_READY_TIMEOUT_MS: '60000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  child.stderr.on('data', (c: Buffer) => (output += c));
  const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
  const code = await new Promise<number | null>((ok) => child.on('exit', (c) => ok(c)));
  clearTimeout(timer);
  t.diagnostic(output.split('\n').filter((l) => /^(ok|FAIL|SKIPPED|mode:)/.test(l)).join(' | '));
  assert.equal(code, 0, output);
  const names = ['wait_for ready', 'responds_with_upstream dev', 'responds_with_header dispatched true', 'metrics routekey_routed{route="dev"}'];
  // Without Docker the rules server is started by verify.ts too, and an edit must re-route.
  if (!/mode: docker/.test(output)) names.push('live_rules an edit of the served rules file re-routes the next requests');
  for (const name of names) {
    assert.match(output, new RegExp(`^ok +${name.replace(/[{}()[\]".]/g, '\\$&')}`, 'm'), `check ${name} ran and passed`);
  }
  if (/mode: local/.test(output) && !process.env.VERIFY_MODE) {
    assert.match(output, /SKIPPED real Envoy: no Docker engine and no envoy binary/);
  }
});
