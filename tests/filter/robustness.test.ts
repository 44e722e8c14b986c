// What the per-request path costs the host and what outside input cannot do to it: few host
// calls, no logging at the default level, flat memory, and no trap from any header value or
// any configuration bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startRoutekey, startsClosedAfterTests, request, header, counter } from '../helpers/routekey.ts';

const start = startsClosedAfterTests();

const CONFIG = {
  key: [{ header: 'x-sandbox' }, { header: 'x-env' }],
  routes: [
    { name: 'dev', keys: ['dev'], destination: 'dev.svc:8080', requestHeaders: { set: { 'x-routed': 'dev' } } },
    { name: 'pr', keys: ['pr'], destination: 'http://pr.svc/api' },
  ],
  default: { destination: 'baseline.svc:8080' },
  decisionHeader: 'x-routekey-route',
};

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('a routed request costs one header read per key source tried and one call per operation: no counter call', async () => {
  const p = await start(CONFIG);
  request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
  const before = p.hostCalls().length;
  const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
  const calls = p.hostCalls().slice(before).map((c) => c.name);
  assert.equal(header(r.req.headers, ':authority'), 'dev.svc:8080');
  const count = (n: string) => calls.filter((c) => c === n).length;
  assert.equal(count('proxy_get_header_map_value'), 2, 'x-sandbox (absent), then x-env');
  assert.equal(count('proxy_replace_header_map_value'), 3, ':authority, x-routed, and the decision header');
  assert.equal(count('proxy_increment_metric'), 0, 'counts are batched in the VM, flushed on the tick');
  assert.equal(count('proxy_define_metric'), 0, 'counters are defined at flush time');
  assert.equal(count('proxy_log'), 0, 'nothing is logged per request at the default level');
  assert.equal(calls.length, 5, calls.join(', '));
  assert.deepEqual(p.violations(), []);
});

test('a path prefix costs one more read and one more replace', async () => {
  const p = await start(CONFIG);
  request(p, [[':authority', 'app'], [':path', '/a'], ['x-env', 'pr']]);
  const before = p.hostCalls().length;
  const r = request(p, [[':authority', 'app'], [':path', '/a'], ['x-env', 'pr']]);
  assert.equal(header(r.req.headers, ':path'), '/api/a');
  const calls = p.hostCalls().slice(before).map((c) => c.name);
  assert.equal(calls.length, 6, calls.join(', '));
});

test('memory stays flat over many requests (nothing per request is kept or leaked)', async () => {
  const p = await start(CONFIG, { recordHostCalls: false });
  const keys = ['dev', 'pr', 'nope', ''];
  const drive = (n: number) => {
    for (let i = 0; i < n; i++) {
      const key = keys[i % keys.length]!;
      request(p, [[':authority', 'app'], [':path', `/p/${i % 97}`], ...(key ? [['x-env', key] as [string, string]] : [])]);
    }
  };
  drive(3000);
  const start0 = p.memoryBytes();
  drive(20000);
  assert.equal(p.memoryBytes(), start0);
  assert.deepEqual(p.failures(), []);
});

test('no header value traps the filter or routes where it should not', async () => {
  const p = await start(CONFIG, { recordHostCalls: false });
  const random = rng(42);
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(random() * 300);
    let value = '';
    for (let j = 0; j < len; j++) value += String.fromCharCode(1 + Math.floor(random() * (random() < 0.9 ? 127 : 0xd7ff)));
    value = value.replace(/[\r\n]/g, ' ');
    const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', value], ['x-sandbox', i % 2 ? value : '']]);
    const expected = value === 'dev' ? 'dev.svc:8080' : value === 'pr' ? 'pr.svc' : 'baseline.svc:8080';
    assert.equal(header(r.req.headers, ':authority'), expected, JSON.stringify(value));
  }
  assert.deepEqual(p.failures(), []);
  assert.equal(counter(p, 'routekey.default'), 3000);
});

test('no configuration bytes trap the filter: each is accepted or refused with one critical line', async () => {
  const random = rng(7);
  const base = JSON.stringify(CONFIG);
  const alphabet = '{}[]",:0123456789-.eE\\u tfnrl"abc/\u00e9\u0000';
  for (let i = 0; i < 300; i++) {
    const chars = [...base];
    const edits = 1 + Math.floor(random() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * chars.length);
      const op = random();
      if (op < 0.4) chars.splice(at, 1);
      else if (op < 0.8) chars.splice(at, 0, alphabet[Math.floor(random() * alphabet.length)]!);
      else chars.length = at;
    }
    const config = chars.join('');
    try {
      const p = await startRoutekey(config, { workers: 1, recordHostCalls: false });
      await p.close();
    } catch (e: any) {
      assert.equal(e.name, 'ConfigRejectedError', `${config}: ${e}`);
      assert.doesNotMatch(e.message, /failed while configuring/, `trapped on ${JSON.stringify(config)}`);
      const critical = e.logs.filter((l: any) => l.level === 'critical');
      assert.equal(critical.length, 1, JSON.stringify(e.logs));
      assert.match(critical[0].message, /^routekey: invalid configuration: \S/);
    }
  }
});

test('10 000 routes: every key finds its route', async () => {
  const routes: object[] = [];
  for (let i = 0; i < 10000; i++) routes.push({ name: `sb-${i}`, keys: [`k${i}`], destination: `sb-${i}.svc` });
  const p = await start({ key: 'x-env', routes }, { recordHostCalls: false });
  for (let i = 0; i < 10000; i += 37) {
    const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', `k${i}`]]);
    assert.equal(header(r.req.headers, ':authority'), `sb-${i}.svc`);
  }
});

test('a stream that started before a reconfiguration finishes with the rules it started with', async () => {
  const p = await start({ key: 'x-env', routes: [{ name: 'old', keys: ['a'], destination: 'old.svc' }], decisionHeader: 'x-route' });
  const s = p.createStream();
  const req = s.onRequestHeaders([[':authority', 'app'], [':path', '/'], ['x-env', 'a']], true);
  assert.equal(header(req.headers, ':authority'), 'old.svc');
  await p.reconfigure(JSON.stringify({ key: 'x-env', routes: [{ name: 'new', keys: ['a'], destination: 'new.svc' }], decisionHeader: 'x-route' }));
  const resp = s.onResponseHeaders([[':status', '200']], true);
  s.complete();
  assert.equal(header(resp.headers, 'x-route'), 'old');
  const after = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'a']]);
  assert.equal(header(after.resp.headers, 'x-route'), 'new');
  assert.deepEqual(p.failures(), []);
});

test('replacing the configuration many times frees the rules each old root context held', async () => {
  const routes: object[] = [];
  for (let i = 0; i < 5000; i++) routes.push({ name: `sb-${i}`, keys: [`k${i}`], destination: `sb-${i}.svc` });
  const config = (n: number) => JSON.stringify({ key: 'x-env', routes, default: { destination: `baseline-${n}.svc` } });
  const p = await start(config(0), { recordHostCalls: false });
  // Each reconfiguration builds a ~0.6 MB table while the old one is still held, then frees the
  // old: a leak would grow memory every time. The allocator may still take ONE more doubling step
  // while the free space fragments into its steady shape (seen between the 15th and the 60th
  // reconfiguration, depending on block sizes); after that nothing grows.
  const sizes: number[] = [];
  for (let n = 1; n <= 80; n++) {
    await p.reconfigure(config(n));
    sizes.push(p.memoryBytes());
  }
  const steps = sizes.filter((m, i) => i >= 5 && m > sizes[i - 1]!).length;
  assert.ok(steps <= 1, `memory grew ${steps} times after the 5th reconfiguration: ${[...new Set(sizes)].join(', ')}`);
  assert.equal(sizes[79], sizes[59], 'flat over the last 20 reconfigurations');
  assert.ok(sizes[79]! <= 2 * sizes[4]!, 'at most one doubling over the settled size');
  const r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'nobody']]);
  assert.equal(header(r.req.headers, ':authority'), 'baseline-80.svc');
});

test('a log level raised at run time reaches the per-request debug line at the next tick', async () => {
  const p = await start(CONFIG, { clock: () => 0 });
  const debugLines = () => p.logs.filter((l) => l.level === 'debug' && l.message.includes("took route 'dev'")).length;
  request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
  p.setLogLevel('debug');
  request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
  assert.equal(debugLines(), 0, 'the level is read on configure and on ticks, not per request');
  assert.ok(p.fireTicks() >= 1, 'the filter arms a tick');
  request(p, [[':authority', 'app'], [':path', '/'], ['x-env', 'dev']]);
  assert.equal(debugLines(), 1);
});

test('header values are bytes: a UTF-8 key matches byte for byte, and no byte string traps', async () => {
  const p = await start({ ...CONFIG, routes: [...CONFIG.routes, { name: 'utf8', keys: ['dév'], destination: 'utf8.svc' }] },
    { headerEncoding: 'latin1', recordHostCalls: false });
  const bytes = (b: Buffer) => b.toString('latin1'); // one character per byte, as the runner passes them
  let r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', bytes(Buffer.from('dév'))]]);
  assert.equal(header(r.req.headers, ':authority'), 'utf8.svc');
  r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', bytes(Buffer.from('dév', 'latin1'))]]);
  assert.equal(header(r.req.headers, ':authority'), 'baseline.svc:8080', 'the latin1 spelling is other bytes');
  const random = rng(3);
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(1 + Math.floor(random() * 64));
    for (let j = 0; j < b.length; j++) b[j] = 1 + Math.floor(random() * 255);
    for (let j = 0; j < b.length; j++) if (b[j] === 10 || b[j] === 13) b[j] = 32;
    r = request(p, [[':authority', 'app'], [':path', '/'], ['x-env', bytes(b)]]);
    assert.equal(header(r.req.headers, ':authority'), 'baseline.svc:8080');
  }
  assert.deepEqual(p.failures(), []);
});

test('an asterisk or absolute-form path is not prefixed', async () => {
  const p = await start(CONFIG);
  for (const path of ['*', 'http://x/y']) {
    const r = request(p, [[':authority', 'app'], [':path', path], [':method', 'OPTIONS'], ['x-env', 'pr']]);
    assert.equal(header(r.req.headers, ':path'), path);
    assert.equal(header(r.req.headers, ':authority'), 'pr.svc');
  }
});
