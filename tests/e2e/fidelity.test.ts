// The runner as Envoy under load and with bad requests, over real sockets on 127.0.0.1: the HTTP/1
// connection pool reuses upstream connections, the circuit breakers answer overflow at once with
// 503 UO and count it, the HTTP/1 codec's limits and conversions (http1-codec.ts), and a bounded
// burst of concurrent requests through the real filter (bench/runner-load.ts runs 5,000).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { startBed, request, type Bed, type Echo } from './harness.ts';
import { burst } from './load.ts';

const CLUSTERS = ['pooled', 'tight', 'echo'];

/** No wasm filter: only the router, the pool and the codec are under test. */
const YAML = `
static_resources:
  listeners:
  - name: main
    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
    filter_chains: [{filters: [{name: envoy.filters.network.http_connection_manager, typed_config: {
      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager,
      stat_prefix: ingress_http,
      access_log: [{name: envoy.access_loggers.stdout, typed_config: {
        "@type": type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog,
        log_format: {text_format_source: {inline_string: "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS%\\n"}}}}],
      route_config: {name: local, virtual_hosts: [
        {name: pooled, domains: [pooled], routes: [{match: {prefix: "/"}, route: {cluster: pooled}}]},
        {name: tight, domains: [tight], routes: [{match: {prefix: "/"}, route: {cluster: tight}}]},
        {name: echo, domains: ["*"], routes: [{match: {prefix: "/"}, route: {cluster: echo}}]}]},
      http_filters: [{name: envoy.filters.http.router,
        typed_config: {"@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router}}]}}]}]
  clusters:
${CLUSTERS.map((c) => `  - {name: ${c}, type: STATIC, connect_timeout: 1s, load_assignment: {cluster_name: ${c}, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 1}}}}]}]}${
    c === 'tight' ? ', circuit_breakers: {thresholds: [{max_connections: 1, max_pending_requests: 1}]}' : ''}}`).join('\n')}
admin: {address: {socket_address: {address: 0.0.0.0, port_value: 9901}}}
`;

/** An upstream that counts its connections and answers after `delayMs`. */
function countingUpstream(delayMs: number): Promise<{ server: http.Server; port: number; connections: () => number }> {
  let connections = 0;
  // Its own header limit above the runner's, so the runner's is the one tested.
  const server = http.createServer({ maxHeaderSize: 128 * 1024 }, (req, res) => {
    req.resume();
    setTimeout(() => res.end('ok'), delayMs);
  });
  server.on('connection', () => connections++);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, port: (server.address() as AddressInfo).port, connections: () => connections })));
}

/** Bytes written on a fresh connection, and everything the runner sends back until it closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.write(bytes));
    let got = '';
    c.setEncoding('latin1');
    c.on('data', (d: string) => (got += d));
    c.on('close', () => resolve(got));
    c.on('error', reject);
    c.setTimeout(5000, () => c.destroy(new Error(`no close after ${JSON.stringify(got.slice(0, 80))}`)));
  });
}

const statLine = async (bed: Bed, name: string) =>
  Number(new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec((await request(bed.admin('/stats'))).body.toString())?.[1] ?? 0);

describe('runner fidelity: pool, circuit breakers, HTTP/1 codec', { timeout: 30_000 }, () => {
  let bed: Bed;
  let pooled: Awaited<ReturnType<typeof countingUpstream>>;
  let tight: Awaited<ReturnType<typeof countingUpstream>>;
  const accessLog: string[] = [];

  before(async () => {
    pooled = await countingUpstream(0);
    tight = await countingUpstream(400);
    bed = await startBed({ yaml: YAML, wasmFile: null, upstreams: ['echo'], runner: { accessLog: (l) => accessLog.push(l) } });
    bed.bootstrap.clusters.get('pooled')!.endpoints = [{ address: '127.0.0.1', port: pooled.port }];
    bed.bootstrap.clusters.get('tight')!.endpoints = [{ address: '127.0.0.1', port: tight.port }];
  });
  after(async () => {
    await bed.close();
    pooled.server.close();
    tight.server.close();
  });

  test('keep-alive pool: 20 requests one after another use one upstream connection', async () => {
    for (let i = 0; i < 20; i++) assert.equal((await request(bed.url('/'), { headers: { host: 'pooled' } })).status, 200);
    assert.equal(pooled.connections(), 1);
    assert.equal(await statLine(bed, 'cluster.pooled.upstream_cx_total'), 1);
    assert.equal(await statLine(bed, 'cluster.pooled.upstream_rq_total'), 20);
  });

  test('circuit breakers (max_connections 1, max_pending_requests 1): overflow is a 503 UO at once, counted', async () => {
    const t0 = Date.now();
    const timed = async () => {
      const r = await request(bed.url('/'), { headers: { host: 'tight' } });
      return { ...r, ms: Date.now() - t0 };
    };
    const replies = await Promise.all(Array.from({ length: 5 }, timed));
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 503);
    assert.deepEqual([ok.length, refused.length], [2, 3], 'one on the connection, one pending, three refused');
    for (const r of refused) {
      assert.equal(r.body.toString(), 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
      assert.equal(r.headers['x-envoy-overloaded'], 'true');
      assert.ok(r.ms < 300, `refused at once, not after the upstream's 400 ms (${r.ms} ms)`);
    }
    assert.equal(tight.connections(), 1, 'never more than max_connections');
    assert.equal(await statLine(bed, 'cluster.tight.upstream_rq_pending_overflow'), 3);
    assert.ok(await statLine(bed, 'cluster.tight.upstream_cx_overflow') >= 1);
    assert.equal(await statLine(bed, 'cluster.tight.upstream_rq_total'), 2, 'refused requests never reach the upstream');
    assert.equal(accessLog.filter((l) => l === '503 UO upstream_reset_before_response_started{overflow}').length, 3);
  });

  test('request headers up to 60 KiB pass; more → 431 as Envoy answers it, connection closed', async () => {
    const port = bed.runner.listeners[0]!.port;
    const head = (kib: number) => `GET / HTTP/1.1\r\nHost: pooled\r\nx-big: ${'a'.repeat(kib * 1024)}\r\nconnection: close\r\n\r\n`;
    assert.match(await raw(port, head(59)), /^HTTP\/1\.1 200 /);
    const big = await raw(port, head(61));
    assert.match(big, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(big, /\r\nconnection: close\r\n/);
    assert.match(big, /\r\n\r\nRequest Header Fields Too Large$/);
  });

  test('a request line without a version → 400; HTTP/1.0 → 426 (accept_http_10 false), with or without Host', async () => {
    const port = bed.runner.listeners[0]!.port;
    const before = await statLine(bed, 'http.ingress_http.downstream_cx_protocol_error');
    assert.match(await raw(port, 'GET /\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*\r\n\r\nBad Request$/);
    assert.match(await raw(port, 'GET / HTTP/1.0\r\n\r\n'), /^HTTP\/1\.1 426 Upgrade Required\r\n[^]*\r\n\r\nUpgrade Required$/);
    assert.match(await raw(port, 'GET / HTTP/1.0\r\nHost: pooled\r\n\r\n'), /^HTTP\/1\.1 426 /);
    assert.equal(await statLine(bed, 'http.ingress_http.downstream_cx_protocol_error'), before + 3);
    assert.ok(accessLog.includes('426 DPE low_version') && accessLog.includes('400 DPE http1.codec_error'), accessLog.join(''));
  });

  test('an absolute-form target: :authority from the URI (Host ignored), :path in origin form', async () => {
    const port = bed.runner.listeners[0]!.port;
    const reply = await raw(port, 'GET http://Elsewhere.example:8080/a/b?q=1 HTTP/1.1\r\nHost: ignored\r\nconnection: close\r\n\r\n');
    assert.match(reply, /^HTTP\/1\.1 200 /);
    const echo = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as Echo;
    assert.deepEqual([echo.path, echo.headers.host], ['/a/b?q=1', 'Elsewhere.example:8080']);
    const bare = await raw(port, 'GET http://h.example HTTP/1.1\r\nconnection: close\r\n\r\n');
    assert.match(bare, /^HTTP\/1\.1 200 /, bare);
    assert.equal((JSON.parse(bare.slice(bare.indexOf('\r\n\r\n') + 4)) as Echo).path, '/');
    assert.match(await raw(port, 'GET ftp://h.example/ HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
    // Without Host and in origin form: the connection manager's 400, empty body.
    assert.match(await raw(port, 'GET / HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 0\r\n/);
  });
});

describe('runner under a burst of 1,500 concurrent requests (the real filter, the demo upstreams)', { timeout: 60_000 }, () => {
  test('every request answered: 200 or an immediate 503 overflow, no connect-timeout storm', async () => {
    const bed = await startBed({ upstreams: ['default', 'dev'] });
    try {
      const r = await burst(bed.url('/load'), { concurrency: 1500, headers: { host: 'default.demo' }, timeoutMs: 20_000 });
      const answered = (r.statuses[200] ?? 0) + (r.resetReasons.overflow ?? 0);
      assert.equal(answered, 1500, JSON.stringify(r));
      assert.ok(r.elapsedMs < 20_000, JSON.stringify(r));
      assert.equal(await statLine(bed, 'cluster.default.upstream_cx_connect_fail'), 0);
      assert.ok(await statLine(bed, 'cluster.default.upstream_cx_total') <= 1024);
    } finally {
      await bed.close();
    }
  });
});
