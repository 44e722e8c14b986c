// host/runner/http1-codec.ts: what Envoy's HTTP/1 codec refuses and converts — without sockets
// (tests/e2e/fidelity.test.ts sends the same over real ones).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseError, rawProtocolErrorReply, requestTarget, versionError } from '../../../host/runner/http1-codec.ts';

describe('the HTTP/1 codec', () => {
  test('HTTP/1.1 passes; no version (node: 0.9) → 400; any other version → 426 low_version', () => {
    assert.equal(versionError('1.1'), undefined);
    assert.deepEqual(versionError('0.9'), { status: 400, details: 'http1.codec_error' });
    assert.deepEqual(versionError('1.0'), { status: 426, details: 'low_version' });
    assert.deepEqual(versionError('2.0'), { status: 426, details: 'low_version' });
  });

  test('absolute-form targets as handlePath converts them; origin form and * unchanged', () => {
    assert.deepEqual(requestTarget('/a?b'), { path: '/a?b' });
    assert.deepEqual(requestTarget('*'), { path: '*' });
    assert.deepEqual(requestTarget('HTTP://u@Host:81/p?q'), { authority: 'Host:81', scheme: 'http', path: '/p?q' });
    assert.deepEqual(requestTarget('https://h?q'), { authority: 'h', scheme: 'https', path: '/?q' });
    assert.deepEqual(requestTarget('http://h'), { authority: 'h', scheme: 'http', path: '/' });
    assert.deepEqual(requestTarget('ftp://h/'), { error: { status: 400, details: 'http1.invalid_scheme' } });
    assert.deepEqual(requestTarget('http:///p'), { error: { status: 400, details: 'http1.invalid_url' } });
  });

  test('node:http parse errors: header overflow → 431, other HPE_ codes → 400, the rest are not parse errors', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(parseError(err('HPE_HEADER_OVERFLOW'))?.status, 431);
    assert.equal(parseError(err('HPE_INVALID_METHOD'))?.details, 'http1.codec_error');
    assert.equal(parseError(err('ECONNRESET')), undefined);
    const raw = rawProtocolErrorReply({ status: 431, details: 'http1.headers_too_large' }, 'envoy');
    assert.match(raw, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\ncontent-length: 31\r\ncontent-type: text\/plain\r\ndate: .+\r\nserver: envoy\r\nconnection: close\r\n\r\nRequest Header Fields Too Large$/);
  });
});
