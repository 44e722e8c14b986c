// host/runner/upstream-call.ts: the request line and headers the upstream gets — without sockets.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { RouteEntry } from '../../../host/runner/model.ts';
import { upstreamPath, upstreamRequest } from '../../../host/runner/upstream-call.ts';

const route = (more: Partial<RouteEntry> = {}): RouteEntry =>
  ({ where: 'r', match: { kind: 'prefix', value: '/api', caseSensitive: true }, cluster: 'c', timeoutMs: 0, ...more });

describe('the upstream request', () => {
  test('prefix_rewrite replaces the matched prefix; on a path match, the path before the query', () => {
    assert.equal(upstreamPath(route(), '/api/x?q'), '/api/x?q');
    assert.equal(upstreamPath(route({ prefixRewrite: '/v2' }), '/api/x?q'), '/v2/x?q');
    assert.equal(upstreamPath(route({ match: { kind: 'path', value: '/a', caseSensitive: true }, prefixRewrite: '/b' }), '/a?q=1'), '/b?q=1');
  });

  test('pseudo-headers become the request line, hop-by-hop headers are dropped, repeats kept', () => {
    const r = upstreamRequest(route({ timeoutMs: 1500 }), [
      [':authority', 'demo'], [':path', '/api'], [':method', 'POST'], ['connection', 'keep-alive'], ['a', '1'], ['a', '2'],
    ], true);
    assert.deepEqual(r, {
      method: 'POST', path: '/api',
      headers: { host: 'demo', a: ['1', '2'], 'x-envoy-expected-rq-timeout-ms': '1500', 'transfer-encoding': 'chunked' },
    });
  });

  test('host_rewrite_literal replaces the authority; a content-length body stays framed by it', () => {
    const r = upstreamRequest(route({ hostRewrite: 'upstream.internal' }), [[':authority', 'demo'], ['content-length', '3']], true);
    assert.deepEqual([r.method, r.path, r.headers], ['GET', '/', { host: 'upstream.internal', 'content-length': '3' }]);
  });
});
