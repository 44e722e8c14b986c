// Sandbox routing across services (issue 9 item 8), over real 127.0.0.1 sockets: three baselines
// (cart, payments, search) and two sandboxes of cart (cart-alice, cart-preview) behind the runner,
// the routing key in W3C baggage. The README section's curl lines are replayed as written, first
// against `routekey run --rules examples/sandbox/rules.json` (a child process, as a user runs it),
// then against envoy/sandbox.yaml (the same scenario as an Envoy bootstrap).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Upstream } from '../../host/app/demo/index.ts';
import { REPO_ROOT, WASM, request, realWasmAvailable, startBed, startUpstream, type Echo } from './harness.ts';
import { run } from './process.ts';

const skip = realWasmAvailable() ? false : `${WASM} is missing (npm run build)`;
const RULES = 'examples/sandbox/rules.json';
const SERVICES = ['cart', 'payments', 'search', 'cart-alice', 'cart-preview'];

interface Line { headers: Record<string, string>; path: string; upstream: string }

/** README's section: the upstreams its run command names, and each curl line with the upstream it prints. */
function readmeScenario(): { upstreams: string[]; lines: Line[] } {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n### Sandbox routing across services\n')[1]?.split('\n### ')[0];
  assert.ok(section, 'README has the section "Sandbox routing across services"');
  const command = new RegExp(`^\\$ npx routekey run --rules ${RULES}((?: --upstream [a-z-]+=\\d+)+)$`, 'm').exec(section);
  assert.ok(command, `the section runs ${RULES}`);
  const upstreams = [...command[1]!.matchAll(/--upstream ([a-z-]+)=/g)].map((m) => m[1]!);
  const lines = [...section.matchAll(/^\$ curl -s ((?:-H '[^']*' )+)localhost:10000(\/\S*) \| grep -o '"upstream":"\[\^"\]\*"'\n"upstream":"([a-z-]+)"$/gm)]
    .map((m) => ({
      headers: Object.fromEntries([...m[1]!.matchAll(/-H '([^:]+): ([^']*)'/g)].map((h) => [h[1]!.toLowerCase(), h[2]!])),
      path: m[2]!,
      upstream: m[3]!,
    }));
  return { upstreams, lines };
}

/** Replays the README's lines at `url`, and checks what each upstream received. */
async function checkScenario(url: string): Promise<void> {
  const { lines } = readmeScenario();
  assert.ok(lines.length >= 7, 'the section shows sandbox, prefix, baselines, unknown key and no key');
  const reached = new Set(lines.map((l) => l.upstream));
  assert.deepEqual([...reached].sort(), [...SERVICES].sort(), 'the lines reach every service once at least');
  for (const l of lines) {
    const r = await request(`${url}${l.path}`, { headers: l.headers });
    const where = JSON.stringify(l.headers);
    assert.equal(r.status, 200, where);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, l.upstream, where);
    const host = l.headers.host!.replace(/:\d+$/, '');
    const sandbox = l.upstream !== host;
    // A sandbox receives the authority the route set; a baseline the caller's, unchanged.
    assert.equal(echo.headers.host, sandbox ? `${l.upstream}.shop.svc.cluster.local:8080` : l.headers.host, where);
    assert.equal(r.headers['x-routekey-route'], sandbox ? l.upstream : 'none', where);
    // The key travels on: the next call the service makes carries the same baggage.
    assert.equal(echo.headers.baggage, l.headers.baggage, where);
  }
}

describe('sandbox routing across services (real filter, real sockets)', { skip, timeout: 60_000 }, () => {
  const upstreams: Record<string, Upstream> = {};
  before(async () => {
    for (const name of SERVICES) upstreams[name] = await startUpstream({ name, port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await Promise.allSettled(Object.values(upstreams).map((u) => u.close()));
  });

  test('routekey run --rules examples/sandbox/rules.json: the README lines, and the counter of the sandbox route', async () => {
    const { upstreams: named } = readmeScenario();
    assert.deepEqual(named, SERVICES, "the README's command names the five services");
    const flags = named.flatMap((n) => ['--upstream', `${n}=127.0.0.1:${upstreams[n]!.port}`]);
    const p = run(['bin/routekey.js', 'run', '--rules', RULES, ...flags, '--port', '0', '--admin-port', '0', '--workers', '1']);
    try {
      const [, port] = await p.waitFor(/routekey: listener main on 127\.0\.0\.1:(\d+)/);
      const [, adminPort] = await p.waitFor(/routekey: admin on 127\.0\.0\.1:(\d+)/);
      // The curl it prints for the sandbox route is one that takes it.
      await p.waitFor(new RegExp(`routekey: cart-alice → cart-alice\\.shop\\.svc\\.cluster\\.local:8080: curl -s -H 'baggage: routing-key=alice' -H 'host: cart' http://127\\.0\\.0\\.1:${port}/`));
      await checkScenario(`http://127.0.0.1:${port}`);
      // The README's lines take cart-alice twice; the counts reach the admin on the filter's tick.
      const deadline = Date.now() + 5000;
      let stats = '';
      while (Date.now() < deadline && !/routekey_routed\{route="cart-alice"\} 2\b/.test(stats)) {
        stats = (await request(`http://127.0.0.1:${adminPort}/stats/prometheus`)).body.toString();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(stats, /routekey_routed\{route="cart-alice"\} 2\b/);
      assert.match(stats, /routekey_routed\{route="cart-preview"\} 1\b/);
    } finally {
      assert.equal(await p.stop(), 0, p.out());
    }
  });

  test('envoy/sandbox.yaml: the same lines through the hand-written bootstrap', async () => {
    const bed = await startBed({ yaml: readFileSync(join(REPO_ROOT, 'envoy', 'sandbox.yaml'), 'utf8'), upstreams: SERVICES });
    try {
      assert.deepEqual(bed.bootstrap.warnings, []);
      await checkScenario(bed.url(''));
      // No catch-all on purpose: an authority no virtual host has is Envoy's 404.
      const lost = await request(bed.url('/'), { headers: { host: 'orders', baggage: 'routing-key=alice' } });
      assert.equal(lost.status, 404);
    } finally {
      await bed.close();
    }
  });
});
