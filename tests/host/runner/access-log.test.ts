// host/runner/access-log.ts: access-log lines as Envoy's substitution formatter prints them.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { formatAccessLog } from '../../../host/runner/access-log.ts';

describe('access log', () => {
  test('access-log formatting: operators, REQ(a?b), truncation, "-" for missing', () => {
    const line = formatAccessLog('[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %REQ(USER-AGENT):3% %RESP(SERVER)% %UPSTREAM_HOST% %X%\n', {
      startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6), protocol: 'HTTP/1.1',
      requestHeaders: [[':method', 'GET'], [':path', '/p'], ['user-agent', 'curl/8']], responseHeaders: [['server', 'envoy']],
      responseCode: 200, responseFlags: '-', details: 'via_upstream', bytesReceived: 0, bytesSent: 1, durationMs: 2,
      downstreamRemoteAddress: '127.0.0.1:1', downstreamLocalAddress: '127.0.0.1:2',
    });
    assert.equal(line, '[2024-01-02T03:04:05.006Z] "GET /p HTTP/1.1" 200 via_upstream cur envoy - -');
  });
});
