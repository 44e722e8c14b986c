// A cluster's circuit breakers as Envoy reads them (config.cluster.v3.CircuitBreakers): the
// thresholds of the DEFAULT priority — the only one the runner's routes use, as Envoy's routes
// use DEFAULT unless they set a priority — with Envoy's defaults for what is not set
// (max_connections, max_pending_requests, max_requests 1024; envoy/source/common/upstream/
// resource_manager_impl.h and the circuit_breakers docs).

import { BootstrapError, describe, Fields, type Json, type Reader } from './fields.ts';

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
}

export const ENVOY_DEFAULT_THRESHOLDS: Readonly<Thresholds> = { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 };

/** A UInt32Value: a number, or its decimal string as protobuf JSON allows. */
function uint32(f: Fields, key: string, dflt: number): number {
  if (!f.has(key)) return (f.accept(key), dflt);
  const v = f.raw(key);
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new BootstrapError(`${f.at(key)}: expected an unsigned 32-bit integer, got ${describe(v)}`);
  }
  return n;
}

/** `cluster.circuit_breakers`; Envoy's defaults when absent or when no threshold is DEFAULT. */
export function readCircuitBreakers(c: Fields, r: Reader): Thresholds {
  const cb = c.optObj('circuit_breakers');
  if (!cb) return { ...ENVOY_DEFAULT_THRESHOLDS };
  let out: Thresholds = { ...ENVOY_DEFAULT_THRESHOLDS };
  cb.list('thresholds').forEach((v: Json, i) => {
    const t = Fields.of(v, cb.at(`thresholds[${i}]`), r);
    const priority = t.optStr('priority') ?? 'DEFAULT';
    if (priority !== 'DEFAULT') {
      // HIGH only applies to routes with priority HIGH, which the runner does not read.
      r.warn(t.path, `priority ${priority} ignored: the local runner's routes use DEFAULT`);
      t.accept(...Object.keys(t.value));
      return;
    }
    out = {
      maxConnections: uint32(t, 'max_connections', ENVOY_DEFAULT_THRESHOLDS.maxConnections),
      maxPendingRequests: uint32(t, 'max_pending_requests', ENVOY_DEFAULT_THRESHOLDS.maxPendingRequests),
      maxRequests: uint32(t, 'max_requests', ENVOY_DEFAULT_THRESHOLDS.maxRequests),
    };
    // Retries are not made by the runner, so their breaker never trips; the gauges are always kept.
    t.accept('max_retries', 'retry_budget', 'track_remaining', 'max_connection_pools');
    t.done();
  });
  cb.done();
  return out;
}
