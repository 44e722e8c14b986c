// The runner over real sockets with the real host and small WAT guests (tests/e2e/probe.ts): every
// filter outcome, Envoy's local replies, bodies both ways, timeouts, failure policies, the access
// log and the admin listener. Routing through the project's own filter is in demo.test.ts.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBed, request, type Bed, type Echo } from './harness.ts';
import { inlineCode, probeModule, trapModule } from './probe.ts';
import { startPlugin, type PluginOptions } from '../../host/lib/index.ts';

interface YamlOptions {
  /** The wasm filter's `code:` value. */
  code: string;
  /** Extra lines of the wasm filter's `config:` (fail_open, failure_policy). */
  policy?: string;
}

function yaml(opts: YamlOptions) {
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
          access_log:
          - name: envoy.access_loggers.stdout
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog
              log_format:
                text_format_source:
                  inline_string: "%REQ(:METHOD)% %REQ(:PATH)% %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% \\"%REQ(:AUTHORITY)%\\" \\"%UPSTREAM_HOST%\\"\\n"
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
                name: probe
                root_id: probe
                ${opts.policy ?? ''}
                vm_config: {runtime: envoy.wasm.runtime.v8, code: ${opts.code}}
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

/** Polls `check` until it holds or `ms` pass (the access-log line comes when the server closes the stream). */
async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !check() && Date.now() < end;) await new Promise((r) => setTimeout(r, 10));
}

/** A counter's value as a /stats or /stats/prometheus line shows it (0 when there is none yet). */
function counter(text: string, line: RegExp): number {
  const m = text.match(line);
  return m ? Number(m[1]) : 0;
}

/** The probe's lines logged since `mark`, without the "<ctx> " prefix of callback events. */
function linesSince(bed: Bed, mark: number): string[] {
  return bed.logs.slice(mark).map((l) => l.message);
}

describe('runner with the probe guest', { timeout: 30_000 }, () => {
  let bed: Bed;
  let big: { server: http.Server; port: number };
  const accessLog: string[] = [];
  let quit: () => void;
  const quitRequested = new Promise<void>((resolve) => (quit = resolve));

  before(async () => {
    big = await startBig();
    bed = await startBed({
      yaml: yaml({ code: inlineCode(await probeModule()) }),
      wasmFile: null,
      upstreams: ['default', 'dev'],
      deadClusters: ['down'],
      runner: { accessLog: (l) => accessLog.push(l), onQuit: () => quit() },
    });
    bed.bootstrap.clusters.get('big')!.endpoints = [{ address: '127.0.0.1', port: big.port }];
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
    assert.equal(r.headers['x-probe-seen'], 'yes', 'on_response_headers may add headers');
  });

  test('properties: request.* from the live headers (after the rewrite), source/destination, request.protocol', async () => {
    const mark = bed.logs.length;
    const r = await request(bed.url('/props?q=1'), {
      method: 'PUT', headers: { environment: 'dev', host: 'orig.example', 'user-agent': 'probe-agent', 'x-probe': 'props' },
    });
    assert.equal(r.status, 200);
    const lines = linesSince(bed, mark);
    const value = (name: string) => lines.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
    assert.equal(value('request.path'), '/props?q=1');
    assert.equal(value('request.method'), 'PUT');
    assert.equal(value('request.host'), 'dev.demo', 'the filter reads its own rewrite, as in Envoy');
    assert.equal(value('request.scheme'), 'http');
    assert.match(value('request.id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(value('request.protocol'), 'HTTP/1.1');
    assert.equal(value('request.useragent'), 'probe-agent');
    assert.ok(lines.includes('request.user_agent missing'), 'not an Envoy attribute');
    assert.match(value('source.address') ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(value('destination.address'), `127.0.0.1:${bed.runner.listeners[0]!.port}`);
  });

  test('header bytes pass unchanged: a UTF-8 routing key matches the filter\'s UTF-8 bytes', async () => {
    const key = Buffer.from('dév').toString('latin1'); // node:http sends each char as one byte
    const r = await request(bed.url('/bytes'), { headers: { environment: key } });
    assert.equal(r.status, 200);
    const echo = r.json<Echo>();
    assert.equal(echo.upstream, 'dev');
    assert.equal(echo.headers.environment, key, 'the upstream gets the same bytes');
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
    assert.equal(r.headers['x-probe-seen'], 'yes');
    const un = await request(bed.url('/hello'));
    assert.equal(un.status, 404, 'Host 127.0.0.1:port matches no domain');
  });

  test('direct_response answers', async () => {
    const t = await request(bed.url('/teapot'), { headers: { environment: 'dev' } });
    assert.equal(t.status, 418);
    assert.equal(t.body.toString(), 'short and stout');
  });

  test('a stopped request is forwarded once the filter resumes it (after its callout)', async () => {
    const mark = bed.logs.length;
    const r = await request(bed.url('/held'), { headers: { environment: 'dev', 'x-probe': 'stop' } });
    assert.equal(r.status, 200);
    assert.equal(r.json<Echo>().upstream, 'dev');
    assert.ok(linesSince(bed, mark).some((l) => /^\d+ resumed \d+$/.test(l)), 'resumed from on_http_call_response');
  });

  test('a local reply from on_request_headers is sent as is', async () => {
    const r = await request(bed.url('/x'), { headers: { 'x-probe': 'local' } });
    assert.equal(r.status, 418);
    assert.equal(r.body.toString(), 'probe local reply\n');
    assert.equal(r.headers['x-probe-local'], 'yes');
    assert.equal(r.headers['content-type'], 'text/plain');
  });

  test('a local reply from on_request_body replaces the upstream call', async () => {
    const r = await request(bed.url('/upload'), { method: 'POST', headers: { environment: 'dev', 'x-probe': 'body-local' }, body: 'x'.repeat(10_000) });
    assert.equal(r.status, 413);
    assert.equal(r.body.toString(), 'too much\n');
  });

  test('a local reply from on_response_headers replaces the upstream response', async () => {
    const r = await request(bed.url('/x'), { headers: { environment: 'dev', 'x-probe': 'response-local' } });
    assert.equal(r.status, 502);
    assert.equal(r.body.toString(), 'replaced\n');
    assert.equal(r.headers['x-probe-local'], 'yes');
  });

  test('proxy_close_stream resets the stream: the client sees the connection dropped', async () => {
    await assert.rejects(request(bed.url('/x'), { headers: { 'x-probe': 'close' } }), /socket hang up|ECONNRESET/);
  });

  test('a body the filter buffers to its end still arrives whole', async () => {
    const body = Buffer.alloc(300_000, 'q');
    const r = await request(bed.url('/buffered'), { method: 'POST', headers: { environment: 'dev', 'x-probe': 'body-stop' }, body });
    assert.equal(r.json<Echo>().bodyBytes, body.length);
  });

  test('upstream down → 503 with Envoy\'s body, counted as a connect failure', async () => {
    const connectFails = async () => {
      const stats = (await request(bed.admin('/stats?filter=upstream_cx_connect_fail'))).body.toString();
      assert.match(stats, /^(cluster\.down\.upstream_cx_connect_fail: \d+\n)?$/);
      return counter(stats, /^cluster\.down\.upstream_cx_connect_fail: (\d+)$/m);
    };
    const before = await connectFails();
    const r = await request(bed.url('/hello'), { headers: { environment: 'down' } });
    assert.equal(r.status, 503);
    assert.equal(r.body.toString(), 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    assert.equal(await connectFails(), before + 1, 'one connect failure for the one request');
  });

  test('a POST body reaches the upstream whole (content-length and chunked)', async () => {
    const body = Buffer.alloc(1024 * 1024 + 7, 'a');
    const r = await request(bed.url('/upload'), { method: 'POST', headers: { environment: 'dev', 'content-type': 'text/plain' }, body });
    assert.equal(r.status, 200);
    assert.equal(r.json<Echo>().bodyBytes, body.length);
    assert.equal(r.json<Echo>().method, 'POST');
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
    const mark = bed.logs.length;
    await request(bed.url('/order'), { method: 'POST', headers: { environment: 'dev' }, body: 'abc' });
    const first = await bed.waitForLog((l) => / request_headers /.test(l.message), { from: mark });
    const ctx = first.message.split(' ')[0]!;
    await bed.waitForLog((l) => l.vm === first.vm && l.message === `${ctx} delete`, { from: mark });
    const ev = bed.logs.slice(mark)
      .filter((l) => l.vm === first.vm && l.message.startsWith(`${ctx} `))
      .map((l) => l.message.slice(ctx.length + 1));
    assert.deepEqual(ev.slice(0, 3), ['request_headers eos=0', 'request_body 3 eos=0', 'request_body 0 eos=1']);
    assert.equal(ev[3], 'response_headers eos=0');
    assert.deepEqual(ev.slice(-4), ['response_body 0 eos=1', 'log', 'done', 'delete']);
  });

  test('access log lines in the listener\'s format, with %RESPONSE_CODE_DETAILS%', async () => {
    const mark = accessLog.length;
    await request(bed.url('/hello?x=1'), { headers: { environment: 'dev' } });
    await request(bed.url('/x'), { headers: { 'x-probe': 'local' } });
    await request(bed.url('/hello'), { headers: { environment: 'down' } });
    await request(bed.url('/hello'), { headers: { environment: 'nowhere' } });
    await assert.rejects(request(bed.url('/x'), { headers: { 'x-probe': 'close' } }));
    await eventually(() => accessLog.length >= mark + 5);
    const lines = accessLog.slice(mark);
    assert.ok(lines.includes('GET /hello?x=1 200 - via_upstream "dev.demo" "' + `127.0.0.1:${bed.upstreams.dev!.port}"`), lines.join('\n'));
    assert.ok(lines.some((l) => /^GET \/x 418 - probe_local /.test(l)), 'the filter\'s details');
    assert.ok(lines.some((l) => / 503 UF upstream_reset_before_response_started\{connection_failure\} /.test(l)), 'upstream failure flagged UF');
    assert.ok(lines.some((l) => / 404 NR route_not_found /.test(l)), 'no route flagged NR');
    assert.ok(lines.some((l) => / 0 LR wasm_close_stream /.test(l)), 'a reset by the filter');
  });

  describe('admin', () => {
    test('/ready says LIVE', async () => {
      const r = await request(bed.admin('/ready'));
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'LIVE\n');
    });
    test('/stats lists wasm metrics as wasmcustom.* and the runner\'s counters', async () => {
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      let text = '';
      for (let i = 0; i < 20; i++) { // counts reach Envoy on the filter's 1 s tick
        text = (await request(bed.admin('/stats'))).body.toString();
        if (/^wasmcustom\.routekey\.routed\.route\.dev: \d+$/m.test(text)) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      assert.match(text, /^wasmcustom\.routekey\.routed\.route\.dev: \d+$/m);
      assert.match(text, /^http\.ingress_http\.downstream_rq_total: \d+$/m);
      const f = await request(bed.admin('/stats?filter=routed'));
      assert.ok(f.body.toString().split('\n').filter(Boolean).every((l) => l.includes('routed')));
    });
    test('/stats/prometheus applies stats_tags', async () => {
      const routedDown = /^routekey_routed\{route="down"\} (\d+)$/m;
      const before = counter((await request(bed.admin('/stats/prometheus'))).body.toString(), routedDown);
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      await request(bed.url('/hello'), { headers: { environment: 'down' } });
      // The filter flushes its counts on a 1 s tick: wait up to two ticks for them.
      let text = '';
      for (let i = 0; i < 20; i++) {
        text = (await request(bed.admin('/stats/prometheus'))).body.toString();
        if (counter(text, routedDown) >= before + 1 && /^routekey_routed\{route="dev"\} \d+$/m.test(text)) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      assert.match(text, /^# TYPE routekey_routed counter$/m);
      assert.match(text, /^routekey_routed\{route="dev"\} \d+$/m);
      assert.equal(counter(text, routedDown), before + 1, 'one request routed to down, counted once');
      assert.doesNotMatch(text, /wasmcustom/);
    });
    test('/logging sets the level the guest logs at: its debug lines appear at debug, nothing at off', async () => {
      assert.equal((await request(bed.admin('/logging'))).body.toString(), 'active loggers:\n  wasm: info\n');
      assert.equal((await request(bed.admin('/logging?level=debug'))).status, 405, 'changes need POST');
      const debugLine = (l: { level: string; message: string }) => l.level === 'debug' && l.message === 'probe: request (debug)';

      let mark = bed.logs.length;
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      assert.ok(linesSince(bed, mark).length > 0, 'info lines come through');
      assert.ok(!bed.logs.slice(mark).some(debugLine), 'no debug line at info');

      const r = await request(bed.admin('/logging?level=debug'), { method: 'POST' });
      assert.equal(r.body.toString(), 'active loggers:\n  wasm: debug\n');
      mark = bed.logs.length;
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      assert.ok(bed.logs.slice(mark).some(debugLine), 'the guest\'s debug line after POST /logging?level=debug');

      assert.equal((await request(bed.admin('/logging?level=off'), { method: 'POST' })).body.toString(), 'active loggers:\n  wasm: off\n');
      mark = bed.logs.length;
      await request(bed.url('/hello'), { headers: { environment: 'dev' } });
      assert.deepEqual(linesSince(bed, mark), []);

      await request(bed.admin('/logging?level=info'), { method: 'POST' });
      assert.equal((await request(bed.admin('/logging?level=loud'), { method: 'POST' })).status, 404);
    });
    test('/quitquitquit asks the owner to stop', async () => {
      const r = await request(bed.admin('/quitquitquit'), { method: 'POST' });
      assert.equal(r.body.toString(), 'OK\n');
      await quitRequested;
    });
  });
});

describe('failure policy (one worker VM)', { timeout: 20_000 }, () => {
  async function bed(code: string, policy: string) {
    return startBed({
      yaml: yaml({ code, policy }), wasmFile: null, upstreams: ['default', 'dev'], deadClusters: ['down', 'big'],
      runner: { workers: 1 },
    });
  }

  for (const [policy, expected] of [['fail_open: false', 503], ['fail_open: true', 200]] as const) {
    test(`a module that traps in on_request_headers, ${policy} → ${expected}`, async () => {
      const b = await bed(inlineCode(await trapModule()), policy);
      try {
        const r = await request(b.url('/x'), { headers: { host: 'default.demo' } });
        assert.equal(r.status, expected);
        if (expected === 200) assert.equal(r.json<Echo>().upstream, 'default');
        else assert.equal(r.body.length, 0);
        assert.equal((await request(b.url('/y'), { headers: { host: 'default.demo' } })).status, expected, 'and every later request');
        assert.equal(b.runner.plugins[0]!.failures().length, 1);
      } finally {
        await b.close();
      }
    });
  }

  test('fail open: the filter is skipped and the request goes on unchanged, now and later', async () => {
    const b = await bed(inlineCode(await probeModule()), 'failure_policy: FAIL_OPEN');
    try {
      const r = await request(b.url('/x'), { headers: { 'x-probe': 'fail', host: 'default.demo', environment: 'dev' } });
      assert.equal(r.status, 200);
      assert.equal(r.json<Echo>().upstream, 'default', 'not rewritten to dev');
      const later = await request(b.url('/x'), { headers: { host: 'default.demo', environment: 'dev' } });
      assert.equal(later.json<Echo>().upstream, 'default', 'the failed VM is bypassed');
    } finally {
      await b.close();
    }
  });

  test('fail open continues with the headers as they are: a rewrite made before the trap routes', async () => {
    const b = await bed(inlineCode(await probeModule()), 'fail_open: true');
    try {
      const r = await request(b.url('/x'), { headers: { 'x-probe': 'fail-late', host: 'default.demo', environment: 'dev' } });
      assert.equal(r.status, 200);
      assert.equal(r.json<Echo>().upstream, 'dev');
      assert.equal(r.json<Echo>().headers.dispatched, 'true');
    } finally {
      await b.close();
    }
  });
});

describe('one proxy process', { timeout: 20_000 }, () => {
  test('every plugin the runner starts shares one host process (shared data and queues, as in Envoy)', async () => {
    const code = inlineCode(await probeModule());
    // Two wasm filters in the chain: two plugins of the runner, each with its worker VMs.
    const one = yaml({ code });
    const router = '          - name: envoy.filters.http.router';
    const second = one.slice(one.indexOf('          - name: envoy.filters.http.wasm'), one.indexOf(router))
      .replace('name: probe', 'name: probe-2');
    const seen: PluginOptions[] = [];
    const b = await startBed({
      yaml: one.replace(router, second + router), wasmFile: null, upstreams: ['default', 'dev'],
      deadClusters: ['down', 'big'],
      startPlugin: (o) => {
        seen.push(o);
        return startPlugin(o);
      },
    });
    try {
      assert.equal(seen.length, 2, 'two plugins started');
      assert.ok(seen[0]!.process, 'the runner hands each plugin a process');
      assert.equal(seen[0]!.process, seen[1]!.process, 'the same one');
      assert.equal((await request(b.url('/x'), { headers: { host: 'default.demo' } })).status, 200);
    } finally {
      await b.close();
    }
  });
});
