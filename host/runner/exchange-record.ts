// What the access log says about one exchange: the phases fill it in as they go (the route, the
// cluster, a response flag, the details), and access-log.ts formats it once the stream is done.

import type http from 'node:http';
import type { HeaderList } from '../lib/index.ts';
import type { AccessRecord } from './access-log.ts';
import type { Cluster } from './model.ts';

export class ExchangeRecord {
  readonly startTime = Date.now();
  /** %RESPONSE_FLAGS%: '-' until something goes wrong. */
  responseFlags = '-';
  /** %RESPONSE_CODE_DETAILS%: via_upstream, route_not_found, a filter's details, … */
  details: string | undefined;
  bytesReceived = 0;
  routeName?: string;
  cluster?: Cluster;
  upstreamHost?: string;

  /** Sets the flag unless an earlier one says more about what happened. */
  flagIfNone(flag: string): void {
    if (this.responseFlags === '-') this.responseFlags = flag;
  }

  accessRecord(
    req: http.IncomingMessage,
    sent: { requestHeaders: HeaderList; responseHeaders: HeaderList; responseCode: number; bytesSent: number },
  ): AccessRecord {
    const sock = req.socket;
    return {
      startTime: this.startTime,
      protocol: `HTTP/${req.httpVersion}`,
      ...sent,
      responseFlags: this.responseFlags,
      details: this.details,
      bytesReceived: this.bytesReceived,
      durationMs: Date.now() - this.startTime,
      upstreamHost: this.upstreamHost,
      upstreamCluster: this.cluster?.name,
      routeName: this.routeName,
      downstreamRemoteAddress: `${sock.remoteAddress}:${sock.remotePort}`,
      downstreamLocalAddress: `${sock.localAddress}:${sock.localPort}`,
    };
  }
}
