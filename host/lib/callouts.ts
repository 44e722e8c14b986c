// proxy_http_call's upstream side: one real HTTP/1.1 request per callout (node:http, no agent,
// connection closed afterwards), with Envoy's outcomes:
//   - upstream answered                      → its response (headers as map 6, body as buffer 4)
//   - timeout                                → 504 "upstream request timeout"
//   - connect failure / reset before headers → 503 "upstream connect error or disconnect/reset…"
//   - reset after the response started       → a reset (n_headers = 0, status BrokenConnection)
// Header strings are byte strings (host/lib/headers.ts), which node:http writes and reads as latin1.
// In manual mode (PluginOptions.callouts) nothing is sent: manualResult turns a test's answer into
// the same CalloutResult, which WasmVm.deliverCallout delivers like a network one.

import http from 'node:http';
import type { CalloutResponse, HeaderEncoding } from './api.ts';
import { type Pairs, utf8 } from './abi/memory.ts';
import { HeaderMap, listToBytes } from './headers.ts';
import { fromRawHeaders } from './http.ts';

export interface CalloutRequest {
  /** The cluster name the guest gave. */
  cluster: string;
  host: string;
  port: number;
  /** Includes :method, :path, :authority. */
  headers: Pairs;
  body: Uint8Array;
  trailers: Pairs;
  /** 0 = no timeout. */
  timeoutMs: number;
}

export type CalloutResult =
  | { kind: 'response'; headers: Pairs; body: Uint8Array; trailers: Pairs }
  | { kind: 'reset' }
  | { kind: 'aborted' };

export interface InFlightCallout {
  readonly done: Promise<CalloutResult>;
  abort(): void;
}

/** The response Envoy's router synthesizes when it cannot get one from upstream. */
export function localResponse(status: number, body: string): CalloutResult {
  const bytes = new TextEncoder().encode(body);
  return {
    kind: 'response',
    headers: [
      [':status', String(status)],
      ['content-length', String(bytes.length)],
      ['content-type', 'text/plain'],
    ],
    body: bytes,
    trailers: [],
  };
}

/** What Plugin.deliverCallout delivers for a test's answer (manual callout mode). */
export function manualResult(response: CalloutResponse | 'reset' | 'timeout', encoding: HeaderEncoding): CalloutResult {
  if (response === 'reset') return { kind: 'reset' };
  if (response === 'timeout') return localResponse(504, 'upstream request timeout');
  const { status } = response;
  if (status !== undefined && !(Number.isInteger(status) && status >= 100 && status <= 999)) {
    throw new RangeError(`callout response status ${status} is not an HTTP status code (100..999)`);
  }
  const headers = HeaderMap.fromPairs(listToBytes(response.headers ?? [], encoding));
  if (status !== undefined) headers.replace(':status', String(status));
  else if (headers.get(':status') === undefined) headers.replace(':status', '200');
  const body = response.body ?? new Uint8Array(0);
  return {
    kind: 'response',
    headers: headers.toList(),
    body: typeof body === 'string' ? utf8(body) : new Uint8Array(body),
    trailers: HeaderMap.fromPairs(listToBytes(response.trailers ?? [], encoding)).toList(),
  };
}

export function sendCallout(req: CalloutRequest): InFlightCallout {
  let settle!: (r: CalloutResult) => void;
  let settled = false;
  const done = new Promise<CalloutResult>((resolve) => {
    settle = (r) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(r);
    };
  });
  let timer: NodeJS.Timeout | undefined;
  let responseStarted = false;

  const pseudo = new Map(req.headers.filter(([k]) => k.startsWith(':')).map(([k, v]) => [k, v]));
  const headers: Array<[string, string]> = [['host', pseudo.get(':authority') ?? '']];
  for (const [k, v] of req.headers) if (!k.startsWith(':') && k !== 'host') headers.push([k, v]);
  if (req.body.length > 0 && !req.headers.some(([k]) => k === 'content-length')) {
    headers.push(['content-length', String(req.body.length)]);
  }

  const outgoing = http.request({
    host: req.host,
    port: req.port,
    method: pseudo.get(':method'),
    path: pseudo.get(':path'),
    headers: headers.flat(),
    agent: false,
  });
  outgoing.on('response', (res) => {
    responseStarted = true;
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      settle({
        kind: 'response',
        headers: [[':status', String(res.statusCode ?? 0)], ...fromRawHeaders(res.rawHeaders)],
        body: new Uint8Array(Buffer.concat(chunks)),
        trailers: fromRawHeaders(res.rawTrailers),
      });
    });
    res.on('aborted', () => settle({ kind: 'reset' }));
    res.on('error', () => settle({ kind: 'reset' }));
    res.on('close', () => {
      if (!res.complete) settle({ kind: 'reset' });
    });
  });
  outgoing.on('error', (err: NodeJS.ErrnoException) => {
    if (responseStarted) return settle({ kind: 'reset' });
    const connectFailure = err.code === 'ECONNREFUSED' || err.code === 'EHOSTUNREACH' || err.code === 'ENOTFOUND';
    const reason = connectFailure
      ? `remote connection failure, transport failure reason: ${err.code ?? err.message}`
      : 'connection termination';
    settle(localResponse(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`));
  });
  if (req.timeoutMs > 0) {
    timer = setTimeout(() => {
      settle(localResponse(504, 'upstream request timeout'));
      outgoing.destroy();
    }, req.timeoutMs);
  }
  outgoing.end(req.body.length > 0 ? Buffer.from(req.body) : undefined);

  return {
    done,
    abort() {
      settle({ kind: 'aborted' });
      outgoing.destroy();
    },
  };
}
