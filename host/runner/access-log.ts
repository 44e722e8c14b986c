// Access-log lines the way Envoy's substitution formatter prints them, for the operators the
// runner can fill; any other operator prints "-" (the bootstrap reader warns about it).

import type { HeaderList } from '../lib/index.ts';
import { fromByteString } from '../lib/index.ts';

/** Envoy's default format (used when an access log names none). */
export const DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

/** What one exchange leaves for its access-log line. Header strings are byte strings. */
export interface AccessRecord {
  startTime: number;
  protocol: string;
  /** The request headers as the filters left them. */
  requestHeaders: HeaderList;
  /** The response headers as sent (empty when none was). */
  responseHeaders: HeaderList;
  /** 0 when no response was sent. */
  responseCode: number;
  responseFlags: string;
  /** %RESPONSE_CODE_DETAILS%: via_upstream, route_not_found, the wasm filter's details, … */
  details?: string;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  upstreamHost?: string;
  upstreamCluster?: string;
  routeName?: string;
  downstreamRemoteAddress: string;
  downstreamLocalAddress: string;
}

type Field = (r: AccessRecord) => string | number | undefined;

const FIELDS: Record<string, Field> = {
  START_TIME: (r) => new Date(r.startTime).toISOString(),
  PROTOCOL: (r) => r.protocol,
  RESPONSE_CODE: (r) => r.responseCode,
  RESPONSE_FLAGS: (r) => r.responseFlags,
  RESPONSE_CODE_DETAILS: (r) => r.details,
  BYTES_RECEIVED: (r) => r.bytesReceived,
  BYTES_SENT: (r) => r.bytesSent,
  DURATION: (r) => r.durationMs,
  UPSTREAM_HOST: (r) => r.upstreamHost,
  UPSTREAM_CLUSTER: (r) => r.upstreamCluster,
  ROUTE_NAME: (r) => r.routeName,
  DOWNSTREAM_REMOTE_ADDRESS: (r) => r.downstreamRemoteAddress,
  DOWNSTREAM_LOCAL_ADDRESS: (r) => r.downstreamLocalAddress,
};

/** `%NAME%`, `%NAME(ARG)%`, `%NAME(ARG):MAX%`. */
const OPERATOR = /%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::(\d+))?%/g;

/** Operators in a format that this formatter prints as "-". */
export function unknownOperators(format: string): string[] {
  const out = new Set<string>();
  for (const m of format.matchAll(OPERATOR)) {
    if (!(m[1]! in FIELDS) && m[1] !== 'REQ' && m[1] !== 'RESP') out.add(`%${m[1]}%`);
  }
  return [...out];
}

/** `X?Y`: header X, else header Y (names case-insensitive). */
function headerValue(list: HeaderList, arg: string | undefined): string | undefined {
  for (const name of (arg ?? '').split('?')) {
    const key = name.trim().toLowerCase();
    const hit = list.find(([k]) => k === key);
    if (hit) return fromByteString(hit[1], 'utf8');
  }
  return undefined;
}

/** One line in `format` (its trailing newline dropped: the caller prints lines). */
export function formatAccessLog(format: string, r: AccessRecord): string {
  const line = format.replace(OPERATOR, (_all, name: string, arg: string | undefined, max: string | undefined) => {
    let v: string | number | undefined;
    if (name === 'REQ') v = headerValue(r.requestHeaders, arg);
    else if (name === 'RESP') v = headerValue(r.responseHeaders, arg);
    else v = FIELDS[name]?.(r);
    let s = v === undefined || v === '' ? '-' : String(v);
    if (max !== undefined && s !== '-') s = s.slice(0, Number(max));
    return s;
  });
  return line.endsWith('\n') ? line.slice(0, -1) : line;
}
