// host/runner/downstream.ts: the client's request as the filters get it — from a request-shaped
// object, without sockets.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { readRequest } from '../../../host/runner/downstream.ts';
import type { Listener } from '../../../host/runner/model.ts';

function incoming(rawHeaders: string[], more: { url?: string; method?: string } = {}): http.IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  return {
    rawHeaders, headers, url: more.url ?? '/p?q=1', method: more.method ?? 'GET', httpVersion: '1.1',
    socket: { remoteAddress: '127.0.0.1', remotePort: 4000, localAddress: '127.0.0.1', localPort: 10000 },
  } as unknown as http.IncomingMessage;
}

const listener = (generateRequestId: boolean) => ({ generateRequestId }) as Listener;

describe('the downstream request', () => {
  test('Host becomes :authority, the request line :path and :method; x-forwarded-proto is added', () => {
    const r = readRequest(incoming(['Host', 'demo:8080', 'X-A', '1']), listener(false));
    assert.deepEqual(r.headers, [
      [':authority', 'demo:8080'], [':path', '/p?q=1'], [':method', 'GET'], [':scheme', 'http'], ['x-a', '1'], ['x-forwarded-proto', 'http'],
    ]);
    assert.equal(r.hasBody, false);
  });

  test('the client\'s x-forwarded-proto and x-request-id are kept; a request id is made only when the listener says so', () => {
    const kept = readRequest(incoming(['Host', 'h', 'X-Forwarded-Proto', 'https', 'X-Request-Id', 'abc']), listener(true)).headers;
    assert.deepEqual(kept.filter(([k]) => k.startsWith('x-')), [['x-forwarded-proto', 'https'], ['x-request-id', 'abc']]);
    const made = readRequest(incoming(['Host', 'h']), listener(true)).headers.find(([k]) => k === 'x-request-id');
    assert.match(made![1], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(readRequest(incoming(['Host', 'h']), listener(false)).headers.find(([k]) => k === 'x-request-id'), undefined);
  });

  test('a body: content-length above 0, or transfer-encoding', () => {
    assert.equal(readRequest(incoming(['Host', 'h', 'Content-Length', '0']), listener(false)).hasBody, false);
    assert.equal(readRequest(incoming(['Host', 'h', 'Content-Length', '3']), listener(false)).hasBody, true);
    assert.equal(readRequest(incoming(['Host', 'h', 'Transfer-Encoding', 'chunked']), listener(false)).hasBody, true);
  });

  test('stream properties from the connection', () => {
    assert.deepEqual(readRequest(incoming(['Host', 'h']), listener(false)).properties, {
      'request.protocol': 'HTTP/1.1',
      'source.address': '127.0.0.1:4000', 'source.port': 4000,
      'destination.address': '127.0.0.1:10000', 'destination.port': 10000,
    });
  });
});
