// The runner over real sockets with a fake Plugin (tests/e2e/fake-plugin.ts): every filter
// outcome, Envoy's local replies, bodies both ways, timeouts, the admin listener.
// Routing through the real filter is in demo.test.ts.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBed, request, type Bed, type Echo } from './harness.ts';
import { fakeStarter, type FakePlugin } from './fake-plugin.ts';

const CONFIG = JSON.stringify({
  key: 'environment',
  rewrites: {
    dev: { patch: [{ key: 'dispatched', val: true }], destination: 'http://dev.demo' },
    down: { destination: 'http://down.demo' },
    big: { destination: 'http://big.demo' },
    nowhere: { destination: 'http://nowhere.demo' },
  },
});

function yaml(opts: { failurePolicy?: string } = {}) {
  const route = (cluster: string, extra = '') => `{match: {prefix: "/"}, route: {cluster: ${cluster}${extra}}}`;
  return `
static_resources:
  listeners:
  - name: main
    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
          access_log: [{name: envoy.access_loggers.stdout}]
          route_config:
            name: local
            virtual_hosts:
            - {name: default.demo, domains: [default.demo, "default.demo:*"], routes: [${route('default')}]}
            - name: dev.demo
              domains: [dev.demo]
              routes:
              - {match: {path: /teapot}, direct_response: {status: 418, body: {inline_string: "short and stout"}}}
              - ${route('dev')}
            - {name: down.demo, domains: [down.demo], routes: [${route('down')}]}
            - name: big.demo
              domains: [big.demo]
              routes:
              - {match: {prefix: /slow}, route: {cluster: big, timeout: 0.2s}}
              - ${route('big')}
          http_filters:
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: routekey
                root_id: routekey
                ${opts.failurePolicy ? `failure_policy: ${opts.failurePolicy}` : ''}
                configuration: {"@type": type.googleapis.com/google.protobuf.StringValue, value: '${CONFIG}'}
                vm_config: {runtime: envoy.wasm.runtime.v8, code: {local: {filename: /etc/envoy/routekey.wasm}}}
          - name: envoy.filters.http.router
            typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}
  clusters:
${['default', 'dev', 'down', 'big'].map((c) => `  - {name: ${c}, type: STATIC, connect_timeout: 1s, load_assignment: {cluster_name: ${c}, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]}}`).join('\n')}
stats_config:
  stats_tags:
  - {tag_name: route, regex: '^wasmcustom\\.routekey\\.routed(\\.route\\.([A-Za-z0-9_-]+))$'}
admin: {address: {socket_address: {address: 0.0.0.0, port_value: 9901}}}
`;
}

/** Upstream "big": echoes the request size, sends `x-bytes` bytes back, /slow waits 1 s. */
function startBig(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    let received = 0;
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => {
      const send = () => {
        const n = Number(req.headers['x-bytes'] ?? 0);
        res.writeHead(200, { 'x-received': String(received), 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = n;
        const pump = () => {
          while (left > 0) {
            const part = chunk.subarray(0, Math.min(left, chunk.length));
            left -= part.length;
            if (!res.write(part)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      };
      if (req.url?.startsWith('/slow')) setTimeout(send, 1000);
      else send();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

describe('runner with a fake plugin', { timeout: 30_000 }, () => {
  let bed: Bed;
  let plugin: FakePlugin;
  let big: { server: http.Server; port: number };
  const accessLog: string[] = [];
  let quit = 0;

  before(async () => {
    big = await startBig();
    const fake = fakeStarter();
    bed = await startBed({
      yaml: yaml(),
      upstreams: ['default', 'dev'],
      deadClusters: ['down'],
      startPlugin: fake.start,
      runner: { accessLog: (l) => accessLog.push(l), onQuit: () => quit++ },
    });
    bed.bootstrap.clusters.get('big')!.endpoints = [{ address: '127.0.0.1', port: big.port }];
    plugin = fake.made[0]!;
  });
  after(async () => {
    await bed?.close();
    big?.server.close();
    big?.server.closeAllConnections();
  });

  test('the rewritten :authority picks the virtual host; headers reach the upstream', async () => {
    const r = await request(bed.url('/hello?x=1'), { headers: { environment: 'dev' } });
    assert.equal(r.status, 200);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, 'dev');
    assert.equal(echo.path, '/hello?x=1');
    assert.equal(echo.headers.host, 'dev.demo');
    assert.equal(echo.headers.dispatched, 'true');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.match(echo.headers['x-request-id']!, /^[0-9a-f-]{36}$/);
    assert.equal(echo.headers['x-envoy-expected-rq-timeout-ms'], '15000');
    assert.equal(r.headers['server'], 'envoy');
    assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
    assert.ok(r.headers['x-fake-seen'], 'on_response_headers may add headers');
  });

  test('properties answer request.* and source/destination', async () => {
    const before = plugin.properties.length;
    await request(bed.url('/props'), { headers: { environment: 'dev', host: 'dev.demo' }, method: 'PUT' });
    const p = plugin.properties[before]!;
    assert.equal(p['request.path'], '/props');
    assert.equal(p['request.method'], 'PUT');
    assert.equal(p['request.host'], 'dev.demo');
    assert.equal(p['request.scheme'], 'http');
    assert.match(String(p['request.id']), /^[0-9a-f-]{36}$/);
    assert.match(String(p['source.address']), /^127\.0\.0\.1:\d+$/);
    assert.equal(p['destination.address'], `127.0.0.1:${bed.runner.listeners[0]!.port}`);
  });

  test('Host with a port matches a `host:*` domain when the filter leaves it alone', async () => {
    const r = await request(bed.url('/p'), { headers: { host: 'default.demo:10000' } });
    assert.equal(r.status, 200);
    assert.equal(r.json<Echo>().upstream, 'default');
  });

  test('no virtual host → 404 with an empty body (NR), still through on_response_headers', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: 'nowhere' } });
    assert.equal(r.status, 404);
    assert.equal(r.body.length, 0);
    assert.ok(r.headers['x-fake-seen']);
    const un = await request(bed.url('/hello'));
    assert.equal(un.status, 404, 'Host 127.0.0.1:port matches no domain');
  });

  test('no route in the virtual host → 404; direct_response answers', async () => {
    const t = await request(bed.url('/teapot'), { headers: { environment: 'dev' } });
    assert.equal(t.status, 418);
    assert.equal(t.body.toString(), 'short and stout');
  });

  test('a header change without a route-cache clear keeps the original route (ABI > 0.2.1)', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: 'dev', 'x-fake-action': 'no-clear', host: 'default.demo' } });
    assert.equal(r.status, 200);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, 'default', 'routed by the original authority');
    assert.equal(echo.headers.host, 'dev.demo', 'but forwarded with the filter\'s headers');
  });

  test('a stopped request is forwarded once the filter resumes it', async () => {
    const r = await request(bed.url('/held'), { headers: { environment: 'dev', 'x-fake-action': 'stop' } });
    assert.equal(r.status, 200);
    assert.equal(r.json<Echo>().upstream, 'dev');
    assert.ok(plugin.events.some((e) => e.endsWith(':resume')));
  });

  test('a local reply from the filter is sent as is', async () => {
    const r = await request(bed.url('/x'), { headers: { 'x-fake-action': 'local' } });
    assert.equal(r.status, 418);
    assert.equal(r.body.toString(), 'fake local reply\n');
    assert.equal(r.headers['x-fake-local'], 'yes');
    assert.equal(r.headers['content-type'], 'text/plain');
  });

  test('a local reply from on_request_body replaces the upstream call', async () => {
    const r = await request(bed.url('/upload'), { method: 'POST', headers: { environment: 'dev', 'x-fake-action': 'body-local' }, body: 'x'.repeat(10_000) });
    assert.equal(r.status, 413);
    assert.equal(r.body.toString(), 'too much\n');
  });

  test('a local reply from on_response_headers replaces the upstream response', async () => {
    const r = await request(bed.url('/x'), { headers: { environment: 'dev', 'x-fake-action': 'response-local' } });
    assert.equal(r.status, 502);
    assert.equal(r.body.toString(), 'replaced\n');
    assert.equal(r.headers['x-fake-local'], 'yes');
  });

  test('a body the filter buffers to its end still arrives whole', async () => {
    const body = Buffer.alloc(300_000, 'q');
    const r = await request(bed.url('/buffered'), { method: 'POST', headers: { environment: 'dev', 'x-fake-action': 'body-stop' }, body });
    assert.equal(r.json<Echo>().bodyBytes, body.length);
  });

  test('upstream down → 503 with Envoy\'s body', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: 'down' } });
    assert.equal(r.status, 503);
    assert.equal(r.body.toString(), 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    assert.equal(bed.runner.stats.counter('cluster.down.upstream_cx_connect_fail'), 1);
  });

  test('a POST body reaches the upstream whole (content-length and chunked)', async () => {
    const body = Buffer.alloc(1024 * 1024 + 7, 'a');
    const r = await request(bed.url('/upload'), { method: 'POST', headers: { environment: 'dev', 'content-type': 'text/plain' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.json<Echo>().bodyBytes, body.length);
    assert.equal(r.json<Echo>().method, 'POST');
    // chunked: no content-length
    const chunked = await new Promise<Echo>((resolve, reject) => {
      const u = new URL(bed.url('/chunked'));
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { environment: 'dev' }, agent: false }, (res) => {
        let s = '';
        res.on('data', (c) => (s += c));
        res.on('end', () => resolve(JSON.parse(s)));
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write(Buffer.alloc(1000, 'b'));
      req.end();
    });
    assert.equal(chunked.bodyBytes, 10_000);
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
  });

  test('a large response streams back through on_response_body', async () => {
    const r = await request(bed.url('/download'), { method: 'POST', headers: { environment: 'big', 'x-bytes': String(5_000_000) }, body: 'hello' });
    assert.equal(r.status, 200);
    assert.equal(r.body.length, 5_000_000);
    assert.equal(r.headers['x-received'], '5');
  });

  test('a route timeout → 504 upstream request timeout', async () => {
    const r = await request(bed.url('/slow'), { headers: { environment: 'big' } });
    assert.equal(r.status, 504);
    assert.equal(r.body.toString(), 'upstream request timeout');
  });

  test('callbacks come in Envoy\'s order, ending with log, done, delete', async () => {
    const mark = plugin.events.length;
    await request(bed.url('/order'), { method: 'POST', headers: { environment: 'dev' }, body: 'abc' });
    await new Promise((r) => setTimeout(r, 50));
    const ev = plugin.events.slice(mark).map((e) => e.replace(/^\d+:/, ''));
    assert.deepEqual(ev.slice(0, 3), ['request_headers eos=false', 'request_body 3 eos=false', 'request_body 0 eos=true']);
    assert.equal(ev[3], 'response_headers eos=false');
    assert.deepEqual(ev.slice(-4), ['response_body 0 eos=true', 'log', 'done', 'delete']);
  });

  test('access log lines in Envoy\'s default format', () => {
    const line = accessLog.find((l) => l.includes('"GET /hello?x=1 HTTP/1.1" 200 - '));
    assert.ok(line, accessLog.join('\n'));
    assert.match(line, /"dev\.demo" "127\.0\.0\.1:\d+"$/);
    assert.ok(accessLog.some((l) => / 503 UF /.test(l)), 'upstream failure flagged UF');
    assert.ok(accessLog.some((l) => / 404 NR /.test(l)), 'no route flagged NR');
  });

  describe('admin', () => {
    test('/ready says LIVE', async () => {
      const r = await request(bed.admin('/ready'));
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'LIVE\n');
    });
    test('/stats lists wasm metrics as wasmcustom.* and the runner\'s counters', async () => {
      const r = await request(bed.admin('/stats'));
      const text = r.body.toString();
      assert.match(text, /^wasmcustom\.routekey\.routed\.route\.dev: \d+$/m);
      assert.match(text, /^http\.ingress_http\.downstream_rq_total: \d+$/m);
      const f = await request(bed.admin('/stats?filter=routed'));
      assert.ok(f.body.toString().split('\n').filter(Boolean).every((l) => l.includes('routed')));
    });
    test('/stats/prometheus applies stats_tags', async () => {
      const text = (await request(bed.admin('/stats/prometheus'))).body.toString();
      assert.match(text, /^# TYPE routekey_routed counter$/m);
      assert.match(text, /^routekey_routed\{route="dev"\} \d+$/m);
      assert.match(text, /^routekey_routed\{route="down"\} 1$/m);
      assert.doesNotMatch(text, /wasmcustom/);
    });
    test('/logging shows and sets the wasm log level', async () => {
      assert.equal((await request(bed.admin('/logging'))).body.toString(), 'active loggers:\n  wasm: info\n');
      assert.equal((await request(bed.admin('/logging?level=debug'))).status, 405, 'changes need POST');
      const r = await request(bed.admin('/logging?level=debug'), { method: 'POST' });
      assert.equal(r.body.toString(), 'active loggers:\n  wasm: debug\n');
      const before = plugin.logs.length;
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      assert.ok(plugin.logs.slice(before).some((l) => l.level === 'debug'), 'the plugin logs at debug now');
      await request(bed.admin('/logging?level=info'), { method: 'POST' });
      assert.equal((await request(bed.admin('/logging?level=loud'), { method: 'POST' })).status, 404);
    });
    test('/quitquitquit asks the owner to stop', async () => {
      const r = await request(bed.admin('/quitquitquit'), { method: 'POST' });
      assert.equal(r.body.toString(), 'OK\n');
      await new Promise((res) => setTimeout(res, 20));
      assert.equal(quit, 1);
    });
  });
});

describe('failure policy', { timeout: 20_000 }, () => {
  test('fail closed: the failing request and later ones get 503', async () => {
    const bed = await startBed({ yaml: yaml(), upstreams: ['default', 'dev'], deadClusters: ['down', 'big'], startPlugin: fakeStarter().start });
    try {
      const r = await request(bed.url('/x'), { headers: { 'x-fake-action': 'fail' } });
      assert.equal(r.status, 503);
      assert.equal(r.body.length, 0);
      const next = await request(bed.url('/x'), { headers: { environment: 'dev' } });
      assert.equal(next.status, 503);
    } finally {
      await bed.close();
    }
  });
  test('fail open: the filter is skipped and the request goes on unchanged', async () => {
    const bed = await startBed({ yaml: yaml({ failurePolicy: 'FAIL_OPEN' }), upstreams: ['default', 'dev'], deadClusters: ['down', 'big'], startPlugin: fakeStarter().start });
    try {
      const r = await request(bed.url('/x'), { headers: { 'x-fake-action': 'fail', host: 'default.demo', environment: 'dev' } });
      assert.equal(r.status, 200);
      assert.equal(r.json<Echo>().upstream, 'default', 'not rewritten to dev');
    } finally {
      await bed.close();
    }
  });
});
