// The client's side of an exchange: its request as Envoy's connection manager hands it to the
// filters, and the response written back to it.
//
// Header strings are byte strings end to end (host/lib/headers.ts): node:http reads and writes them
// as latin1 and the plugins run with headerEncoding 'latin1', so the bytes a client sent are the
// bytes the filter sees and the upstream gets.

import type http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { HeaderList } from '../lib/index.ts';
import { fromRawHeaders } from '../lib/index.ts';
import { writeOrPause } from './body.ts';
import { header } from './header-list.ts';
import { requestTarget } from './http1-codec.ts';
import type { Listener } from './model.ts';

export interface DownstreamRequest {
  /** What the first filter's on_request_headers gets. */
  headers: HeaderList;
  hasBody: boolean;
  /** Stream properties that do not come from the headers (request.* follows the live map). */
  properties: Record<string, string | number>;
}

/**
 * Envoy's request headers: Host becomes :authority, the request line :path and :method, :scheme is
 * http — an absolute-form target gives :authority, :path and :scheme instead (http1-codec.ts, which
 * has refused the targets it cannot convert); x-forwarded-proto is added when absent, x-request-id too when the listener generates them.
 */
export function readRequest(req: http.IncomingMessage, listener: Listener): DownstreamRequest {
  const raw = req.rawHeaders;
  const target = requestTarget(req.url ?? '/');
  const absolute = 'error' in target ? undefined : target;
  const host = absolute?.authority ?? fromRawHeaders(raw, new Set()).find(([k]) => k === 'host')?.[1] ?? '';
  const headers: HeaderList = [
    [':authority', host],
    [':path', absolute?.path ?? req.url ?? '/'],
    [':method', req.method ?? 'GET'],
    [':scheme', absolute?.scheme ?? 'http'],
  ];
  for (const [k, v] of fromRawHeaders(raw)) if (k !== 'host') headers.push([k, v]);
  if (header(headers, 'x-forwarded-proto') === undefined) headers.push(['x-forwarded-proto', 'http']);
  if (listener.generateRequestId && header(headers, 'x-request-id') === undefined) {
    headers.push(['x-request-id', randomUUID()]);
  }
  const contentLength = req.headers['content-length'];
  const hasBody = contentLength !== undefined ? Number(contentLength) > 0 : req.headers['transfer-encoding'] !== undefined;
  const sock = req.socket;
  const properties = {
    'request.protocol': `HTTP/${req.httpVersion}`,
    'source.address': `${sock.remoteAddress}:${sock.remotePort}`,
    'source.port': sock.remotePort ?? 0,
    'destination.address': `${sock.localAddress}:${sock.localPort}`,
    'destination.port': sock.localPort ?? 0,
  };
  return { headers, hasBody, properties };
}

/** The response to the client, and what the access log says about it. */
export class DownstreamResponse {
  /** The response headers as sent (empty when none was). */
  headers: HeaderList = [];
  bytesSent = 0;

  constructor(private readonly res: http.ServerResponse, private readonly log: (line: string) => void) {}

  /** The status line is out: from here on a failure can only drop the connection. */
  get started(): boolean {
    return this.res.headersSent;
  }

  get destroyed(): boolean {
    return this.res.destroyed;
  }

  /** The status sent, 0 when none was. */
  get status(): number {
    return this.res.headersSent ? this.res.statusCode : 0;
  }

  /** Once, when the connection closes; `early` when that was before the response was complete. */
  onClose(then: (early: boolean) => void): void {
    this.res.on('close', () => then(!this.res.writableFinished));
  }

  /** Pseudo-headers become the status line; false when Node refused a header (the stream is dropped). */
  writeHead(list: HeaderList): boolean {
    const status = Number(header(list, ':status') ?? 200);
    const flat: string[] = [];
    for (const [k, v] of list) if (!k.startsWith(':')) flat.push(k, v);
    try {
      this.res.writeHead(status, flat);
      this.headers = list;
      return true;
    } catch (e) {
      this.log(`cannot send response headers: ${(e as Error).message}`);
      this.res.destroy();
      return false;
    }
  }

  /** A body chunk; `source` waits while the client is slow. */
  write(data: Uint8Array, source: Readable): void {
    this.bytesSent += data.length;
    writeOrPause(this.res, data, source);
  }

  end(data?: Uint8Array): void {
    if (data) this.bytesSent += data.length;
    this.res.end(data);
  }

  destroy(): void {
    this.res.destroy();
  }
}
