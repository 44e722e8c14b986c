// What Envoy's HTTP/1 server codec refuses or rewrites before its connection manager sees a
// request (envoy/source/common/http/http1/codec_impl.cc), for node:http to do the same:
//
// - max_request_headers_kb defaults to 60: larger request headers get 431 (details
//   http1.headers_too_large). node:http's maxHeaderSize is set to the same 60 KiB; like Envoy's
//   own check it counts header names and values, not the line breaks (node adds the request line).
// - a request line without a version ("GET /"), which node:http takes as HTTP/0.9, is refused by
//   Envoy's default parser (BalsaParser accepts only "HTTP/x.y") with 400 (http1.codec_error);
// - any version other than HTTP/1.1 is treated as HTTP/1.0, and http_protocol_options.accept_http_10
//   defaults to false: 426 Upgrade Required (details low_version), Host or not;
// - an absolute-form target ("GET http://host/path HTTP/1.1", allow_absolute_url's default) is
//   converted as ServerConnectionImpl::handlePath does (RFC 7230 §5.4): the URI's host and port
//   replace Host as :authority, :path is the path and query ("/" when empty), :scheme the URI's
//   scheme, which must be http or https (else 400 http1.invalid_scheme; no host: http1.invalid_url).
// Any other parse error node:http reports is Envoy's 400 http1.codec_error. node:http's own refusal
// of HTTP/1.1 without Host is turned off (an absolute-form target needs none); the connection
// manager's check takes its place: no Host → 400 with an empty body (details missing_host_header).
//
// Envoy answers these with sendLocalReply before any filter runs: the status text as a text/plain
// body, and the connection closed after it (sendProtocolError).

import http from 'node:http';

export const MAX_REQUEST_HEADERS_KB = 60;

/** node:http's parser held to Envoy's limits (strict parsing, as Envoy's codec is). */
export const HTTP1_SERVER_OPTIONS: http.ServerOptions = {
  maxHeaderSize: MAX_REQUEST_HEADERS_KB * 1024,
  insecureHTTPParser: false,
  requireHostHeader: false,
};

export interface ProtocolError {
  status: number;
  /** %RESPONSE_CODE_DETAILS% */
  details: string;
  /** The reply's body; the status text when absent (the codec's replies). */
  body?: string;
}

const codecError = (status: number, details: string): ProtocolError => ({ status, details });

/** The request line's version as Envoy's codec judges it; undefined for HTTP/1.1. */
export function versionError(httpVersion: string): ProtocolError | undefined {
  if (httpVersion === '1.1') return undefined;
  if (httpVersion === '0.9') return codecError(400, 'http1.codec_error');
  return codecError(426, 'low_version');
}

export type RequestTarget =
  | { path: string; authority?: string; scheme?: string }
  | { error: ProtocolError };

/** The request target: origin-form (or `*`) as it is, absolute-form converted as handlePath does. */
export function requestTarget(url: string): RequestTarget {
  if (url.startsWith('/') || url === '*') return { path: url };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(url);
  if (!m) return { error: codecError(400, 'http1.invalid_url') };
  const scheme = m[1]!.toLowerCase();
  // The userinfo is not part of the authority Envoy keeps.
  const authority = m[2]!.slice(m[2]!.lastIndexOf('@') + 1);
  if (authority === '') return { error: codecError(400, 'http1.invalid_url') };
  if (scheme !== 'http' && scheme !== 'https') return { error: codecError(400, 'http1.invalid_scheme') };
  const rest = m[3]!;
  return { authority, scheme, path: rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}` };
}

/** What the codec says about a request node:http parsed; undefined when it goes on. */
export function requestError(req: http.IncomingMessage): ProtocolError | undefined {
  const v = versionError(req.httpVersion);
  if (v) return v;
  const t = requestTarget(req.url ?? '/');
  if ('error' in t) return t.error;
  if (t.authority === undefined && req.headers.host === undefined) return { status: 400, details: 'missing_host_header', body: '' };
  return undefined;
}

/** node:http's clientError as Envoy's codec answers it; undefined when nothing can be sent. */
export function parseError(err: NodeJS.ErrnoException): ProtocolError | undefined {
  if (err.code === 'HPE_HEADER_OVERFLOW') return codecError(431, 'http1.headers_too_large');
  if (err.code?.startsWith('HPE_')) return codecError(400, 'http1.codec_error');
  return undefined;
}

/** The reply's body and headers (Envoy's local reply for a codec error, connection: close). */
export function protocolErrorReply(e: ProtocolError, serverName: string): { body: string; headers: Array<[string, string]> } {
  const body = e.body ?? http.STATUS_CODES[e.status] ?? '';
  return {
    body,
    headers: [
      ['content-length', String(Buffer.byteLength(body))],
      ...(body ? [['content-type', 'text/plain'] as [string, string]] : []),
      ['date', new Date().toUTCString()],
      ['server', serverName],
      ['connection', 'close'],
    ],
  };
}

/** The whole response as bytes, for a socket node:http gave up parsing on. */
export function rawProtocolErrorReply(e: ProtocolError, serverName: string): string {
  const { body, headers } = protocolErrorReply(e, serverName);
  const lines = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status] ?? ''}\r\n${lines}\r\n${body}`;
}
