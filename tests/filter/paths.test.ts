// The client path under a destination's path prefix (filter/apply.ts prefixPath): normalised
// (RFC 3986 §5.2.4 dot-segments, %2e as ".", "..;" as "..", "\", %2f and %5c as "/", "//"
// merged) before the prefix is put in front, so no path leaves the prefix; the query is kept.
// Paths over 8 KiB are not copied: such a request is left unrewritten, and memory stays flat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startsClosedAfterTests, request, header, counter } from '../helpers/routekey.ts';

const start = startsClosedAfterTests();

const CONFIG = {
  key: 'x-env',
  routes: [{ name: 'pr', keys: ['pr'], destination: 'http://pr.svc/api', requestHeaders: { set: { 'x-routed': 'pr' } } }],
};

// [client :path, :path sent upstream]
const TRICKS: Array<[string, string]> = [
  ['/hello?q=1', '/api/hello?q=1'],
  ['/', '/api/'],
  ['/a/', '/api/a/'],
  ['/../x//evil.com', '/api/x/evil.com'],
  ['/..', '/api/'],
  ['/../../../etc/passwd', '/api/etc/passwd'],
  ['/a/./b/../c', '/api/a/c'],
  ['/a/b/..', '/api/a/'],
  ['/a/.', '/api/a/'],
  ['//evil.com/x', '/api/evil.com/x'],
  ['/%2e%2e/x', '/api/x'],
  ['/%2E%2e/%2e/x', '/api/x'],
  ['/.%2e/x', '/api/x'],
  ['/..;/x', '/api/x'],
  ['/..;jsessionid=1/x', '/api/x'],
  ['/a/.;/b', '/api/a/b'],
  ['/..%2fx', '/api/x'],
  ['/..%2F..%2Fx', '/api/x'],
  ['/..%5cx', '/api/x'],
  ['/..\\x', '/api/x'],
  ['/a\\..\\..\\x', '/api/x'],
  ['/...', '/api/...'],
  ['/..a/.b/c..', '/api/..a/.b/c..'],
  ['/a;b/c', '/api/a;b/c'],
  ['/;x', '/api/;x'],
  ['/a%2e/b', '/api/a%2e/b'],
  ['/x?a=/../..//b', '/api/x?a=/../..//b'],
  ['/../?x=1', '/api/?x=1'],
  ['*', '*'],
];

test('client paths under a prefix are normalised and never leave it', async () => {
  const p = await start(CONFIG);
  for (const [path, want] of TRICKS) {
    const r = request(p, [[':authority', 'app'], [':path', path], ['x-env', 'pr']]);
    assert.equal(header(r.req.headers, ':path'), want, path);
    const sent = header(r.req.headers, ':path')!;
    if (sent !== '*') assert.ok(sent.startsWith('/api/'), path);
  }
  assert.deepEqual(p.violations(), []);
});

test('a path over 8192 bytes is left unrewritten (no prefix, no header operations)', async () => {
  const p = await start(CONFIG);
  const ok = '/' + 'a'.repeat(8191);
  let r = request(p, [[':authority', 'app'], [':path', ok], ['x-env', 'pr']]);
  assert.equal(header(r.req.headers, ':path'), '/api' + ok);
  assert.equal(header(r.req.headers, 'x-routed'), 'pr');
  assert.equal(counter(p, 'routekey.path_too_long'), 0);
  const long = ok + 'b';
  r = request(p, [[':authority', 'app'], [':path', long], ['x-env', 'pr']]);
  assert.equal(header(r.req.headers, ':path'), long);
  assert.equal(header(r.req.headers, ':authority'), 'app');
  assert.equal(header(r.req.headers, 'x-routed'), undefined);
  assert.equal(counter(p, 'routekey.path_too_long'), 1, 'counted (on the tick)');
  assert.deepEqual(p.violations(), []);
});

test('memory stays flat under 1 MiB paths (only the host\'s copy, freed each time)', async () => {
  const p = await start(CONFIG, { recordHostCalls: false });
  request(p, [[':authority', 'app'], [':path', '/a'], ['x-env', 'pr']]);
  const before = p.memoryBytes();
  const big = '/' + '../x/'.repeat(209715);
  for (let i = 0; i < 3; i++) request(p, [[':authority', 'app'], [':path', big], ['x-env', 'pr']]);
  const settled = p.memoryBytes();
  assert.ok(settled - before <= 1.5 * 1024 * 1024, `grew by ${settled - before} bytes`);
  for (let i = 0; i < 20; i++) request(p, [[':authority', 'app'], [':path', big], ['x-env', 'pr']]);
  assert.equal(p.memoryBytes(), settled);
  assert.deepEqual(p.failures(), []);
});
