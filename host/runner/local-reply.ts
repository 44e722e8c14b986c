// Replies the proxy makes itself. Envoy's sendLocalReply shapes them all alike — the status, a
// text/plain body when there is one, content-length always, the listener's server header — and
// each says in %RESPONSE_CODE_DETAILS% why it was made; the ones the router makes are listed here
// so the exchange only names what happened.

import type { HeaderList } from '../lib/index.ts';
import { setHeader } from './header-list.ts';

/** A reply made by the proxy or asked for by a filter (the host library's LocalReply fits). */
export interface GeneratedReply {
  status: number;
  body: string | Uint8Array;
  /** Added to (content-type, content-length: replacing) the generated ones. */
  headers: HeaderList;
  details: string;
}

const reply = (status: number, body: string, details: string): GeneratedReply => ({ status, body, headers: [], details });

/** No virtual host or no route for the request (NR). */
export const routeNotFound = () => reply(404, '', 'route_not_found');
/** The route's cluster (or the one its cluster_header names) does not exist (NC). */
export const clusterNotFound = () => reply(503, '', 'cluster_not_found');
/** The cluster has no endpoint (UH). */
export const noHealthyUpstream = () => reply(503, 'no healthy upstream', 'no_healthy_upstream');
/** A route's direct_response. */
export const directResponse = (r: { status: number; body: string }) => reply(r.status, r.body, 'direct_response');
/** A filter held the request longer than stream_idle_timeout. */
export const streamIdleTimeout = () => reply(408, 'stream timeout', 'stream_idle_timeout');
/** The route's timeout passed before the upstream answered (UT). */
export const upstreamTimeout = () => reply(504, 'upstream request timeout', 'upstream_response_timeout');

/** The upstream failed before its response started (UF, UC); `reason` as Envoy words it. */
export function upstreamReset(reason: string): GeneratedReply {
  return reply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`,
    `upstream_reset_before_response_started{${reason.replace(/ /g, '_')}}`);
}

/**
 * A circuit breaker refused the request (UO): the router's reply for a pool overflow, Envoy's
 * reset reason "overflow", with x-envoy-overloaded as the router adds it to dropped requests.
 */
export function upstreamOverflow(): GeneratedReply {
  return { ...upstreamReset('overflow'), headers: [['x-envoy-overloaded', 'true']] };
}

export function replyBytes(r: GeneratedReply): Buffer {
  const body = r.body;
  return typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** The reply's response headers, before the filters see them. */
export function replyHeaders(r: GeneratedReply, bodyLength: number, serverName: string): HeaderList {
  let list: HeaderList = [[':status', String(r.status)]];
  if (bodyLength > 0) list.push(['content-type', 'text/plain']);
  for (const [k, v] of r.headers) {
    if (k === 'content-type' || k === 'content-length') list = list.filter(([n]) => n !== k);
    list.push([k.toLowerCase(), v]);
  }
  list.push(['content-length', String(bodyLength)]);
  return setHeader(list, 'server', serverName);
}
