// A burst of concurrent requests, each on its own connection as from that many clients, with what
// a load report needs: statuses, latency quantiles, throughput. Used by tests/e2e/fidelity.test.ts
// (a bounded burst) and bench/runner-load.ts (the 5,000-request run).

import http from 'node:http';

export interface LoadResult {
  requests: number;
  elapsedMs: number;
  /** Count per status; 0 = no response (socket error or client timeout). */
  statuses: Record<number, number>;
  /** %RESPONSE_FLAGS%-like reasons of the 503s, by their body (overflow, connection failure, …). */
  resetReasons: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  perSecond: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/** `concurrency` requests started at once against `url`; each gives up after `timeoutMs`. */
export async function burst(url: string, opts: { concurrency: number; headers?: Record<string, string>; timeoutMs?: number }): Promise<LoadResult> {
  const u = new URL(url);
  const statuses: Record<number, number> = {};
  const resetReasons: Record<string, number> = {};
  const latencies: number[] = [];
  const one = () => new Promise<void>((resolve) => {
    const start = performance.now();
    const done = (status: number, body = '') => {
      latencies.push(performance.now() - start);
      statuses[status] = (statuses[status] ?? 0) + 1;
      const reason = /reset reason: (.*)$/.exec(body)?.[1];
      if (reason) resetReasons[reason] = (resetReasons[reason] ?? 0) + 1;
      resolve();
    };
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done(res.statusCode ?? 0, body));
      res.on('error', () => done(0));
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error('client timeout')));
    req.on('error', () => done(0));
    req.end();
  });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, one));
  const elapsedMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    requests: opts.concurrency,
    elapsedMs: Math.round(elapsedMs),
    statuses,
    resetReasons,
    p50Ms: Math.round(quantile(latencies, 0.5)),
    p95Ms: Math.round(quantile(latencies, 0.95)),
    p99Ms: Math.round(quantile(latencies, 0.99)),
    maxMs: Math.round(latencies[latencies.length - 1] ?? NaN),
    perSecond: Math.round((opts.concurrency / elapsedMs) * 1000),
  };
}
