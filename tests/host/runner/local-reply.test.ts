// host/runner/local-reply.ts: the headers of a reply the proxy makes itself, as Envoy's
// sendLocalReply shapes them.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { replyBytes, replyHeaders, upstreamReset } from '../../../host/runner/local-reply.ts';

describe('local replies', () => {
  test('a body gets text/plain; content-length always; the listener\'s server header last', () => {
    const r = { status: 503, body: 'no healthy upstream', headers: [], details: 'no_healthy_upstream' };
    assert.deepEqual(replyHeaders(r, replyBytes(r).length, 'envoy'),
      [[':status', '503'], ['content-type', 'text/plain'], ['content-length', '19'], ['server', 'envoy']]);
    const empty = { status: 404, body: new Uint8Array(0), headers: [], details: 'route_not_found' };
    assert.deepEqual(replyHeaders(empty, 0, 'envoy'), [[':status', '404'], ['content-length', '0'], ['server', 'envoy']]);
  });

  test('a filter\'s headers are added; its content-type replaces the generated one', () => {
    const r = { status: 418, body: 'x', headers: [['content-type', 'text/html'], ['X-Probe', 'yes']] as Array<[string, string]>, details: 'probe' };
    assert.deepEqual(replyHeaders(r, 1, 'envoy'),
      [[':status', '418'], ['content-type', 'text/html'], ['x-probe', 'yes'], ['content-length', '1'], ['server', 'envoy']]);
  });

  test('an upstream reset says its reason in the body and, with underscores, in the details', () => {
    const r = upstreamReset('connection failure');
    assert.equal(r.body, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
    assert.equal(r.details, 'upstream_reset_before_response_started{connection_failure}');
  });
});
