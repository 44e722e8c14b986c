// Live rules over real HTTP on 127.0.0.1: host/lib sends the callout to a tiny node:http rules
// server (ETag, If-None-Match → 304, `prefer: wait=N` long-poll), as Envoy would to its cluster.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startsClosedAfterTests } from '../helpers/routekey.ts';
import type { Plugin } from '../../host/lib/api.ts';
import { Clock, TOKEN, liveConfig, advance, routeOf, rulesDoc, metric, warnings, assertTokenNeverLogged } from '../helpers/rules.ts';

const start = startsClosedAfterTests();

/** A rules server: serves `doc` with ETag = its version; holds a `prefer: wait=N` request until it changes. */
class RulesServer {
  version = 'v1';
  body = rulesDoc('v1', { dev: 'http-v1.svc' });
  delayMs = 0;
  status = 200;
  readonly seen: http.IncomingHttpHeaders[] = [];
  private waiting: Array<() => void> = [];
  readonly server = http.createServer((req, res) => {
    this.seen.push(req.headers);
    const reply = () => {
      const etag = `"${this.version}"`;
      if (this.status !== 200) return res.writeHead(this.status).end('broken');
      if (req.headers['if-none-match'] === etag) return res.writeHead(304, { etag }).end();
      res.writeHead(200, { etag, 'content-type': 'application/json' }).end(this.body);
    };
    const wait = /^wait=(\d+)$/.exec(String(req.headers.prefer ?? ''));
    if (wait && req.headers['if-none-match'] === `"${this.version}"`) {
      // Long-poll: answer when the rules change, or 304 when the wait ends.
      const timer = setTimeout(() => { this.waiting = this.waiting.filter((w) => w !== go); reply(); }, Number(wait[1]) * 1000);
      const go = () => { clearTimeout(timer); reply(); };
      this.waiting.push(go);
      return;
    }
    setTimeout(reply, this.delayMs);
  });

  publish(version: string, routes: Record<string, string>): void {
    this.version = version;
    this.body = rulesDoc(version, routes);
    const waiting = this.waiting;
    this.waiting = [];
    for (const go of waiting) go();
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    after(() => new Promise<void>((resolve) => { this.server.closeAllConnections(); this.server.close(() => resolve()); }));
    return (this.server.address() as AddressInfo).port;
  }
}

async function startAgainst(server: RulesServer, service: Record<string, unknown> = {}, workers = 1): Promise<{ p: Plugin; clock: Clock }> {
  const port = await server.listen();
  const clock = new Clock();
  const p = await start(liveConfig(service), {
    clock: clock.fn, workers,
    clusters: (name) => (name === 'routekey-rules' ? { host: '127.0.0.1', port } : undefined),
  });
  return { p, clock };
}

/** Waits (real time) until `cond` holds; fails after 3 s. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** One tick step, then waits for the network callouts it started. */
async function step(p: Plugin, clock: Clock, ms = 250): Promise<void> {
  advance(p, clock, ms);
  await p.settle();
}

test('over HTTP: first fetch, a change, 304 with If-None-Match, the token sent but never logged', async () => {
  const server = new RulesServer();
  const { p, clock } = await startAgainst(server);
  await step(p, clock);
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
  assert.equal(server.seen[0]!.authorization, TOKEN);
  assert.equal(server.seen[0]!.host, 'rules.local');
  await step(p, clock, 1000);
  assert.equal(server.seen[1]!['if-none-match'], '"v1"');
  assert.equal(metric(p, 'routekey.rules.fetch.not_modified'), 1);
  server.publish('v2', { dev: 'http-v2.svc' });
  await step(p, clock, 1000);
  assert.equal(routeOf(p, 'dev'), 'http-v2.svc');
  assert.equal(metric(p, 'routekey.rules.swap'), 2);
  assertTokenNeverLogged(p);
});

test('over HTTP: a server answering slower than timeoutMs is a timeout; the rules stay', async () => {
  const server = new RulesServer();
  const { p, clock } = await startAgainst(server, { timeoutMs: 100 });
  await step(p, clock);
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
  server.delayMs = 600;
  server.publish('v2', { dev: 'http-v2.svc' });
  await step(p, clock, 1000);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.timeout'), 1);
  assert.match(warnings(p).at(-1)!, /\(timeout\): status 504.*keeping rules version 'v1'/);
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
});

test('over HTTP: a server that is down is a connect failure; a 500 is a status failure; the rules stay', async () => {
  const server = new RulesServer();
  const { p, clock } = await startAgainst(server);
  await step(p, clock);
  server.status = 500;
  await step(p, clock, 1000);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.status'), 1);
  server.server.closeAllConnections();
  await new Promise<void>((resolve) => server.server.close(() => resolve()));
  await step(p, clock, 2000);
  assert.equal(metric(p, 'routekey.rules.fetch.failed.reason.connect'), 1);
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
});

test('over HTTP, 2 workers, long-poll: one open poll for the proxy; a change reaches both workers within a tick', async () => {
  const server = new RulesServer();
  const { p, clock } = await startAgainst(server, { longPollSeconds: 5 }, 2);
  advance(p, clock, 250);
  // The first fetch (no ETag yet) is answered at once; the next poll is held by the server.
  await until(() => server.seen.length === 2, 'the held poll');
  advance(p, clock, 250); // the other worker adopts v1
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
  assert.equal(routeOf(p, 'dev'), 'http-v1.svc');
  assert.equal(server.seen[1]!.prefer, 'wait=5');
  assert.equal(server.seen[1]!['if-none-match'], '"v1"');
  for (let i = 0; i < 8; i++) advance(p, clock, 250); // ticks while it is held: no more requests
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(server.seen.length, 2, 'one open poll, not one per worker or per period');
  server.publish('v2', { dev: 'http-v2.svc' });
  await until(() => metric(p, 'routekey.rules.swap') >= 2 && server.seen.length === 3, 'the early answer and the next poll');
  advance(p, clock, 250);
  assert.equal(routeOf(p, 'dev'), 'http-v2.svc');
  assert.equal(routeOf(p, 'dev'), 'http-v2.svc');
  assert.equal(server.seen[2]!['if-none-match'], '"v2"');
});
