// One cluster's upstream connections, the way Envoy's HTTP/1 connection pool and the cluster's
// circuit breakers (circuit-breakers.ts) treat them (envoy/source/common/conn_pool/conn_pool_base.cc):
//
// - keep-alive connections are reused; a request takes an idle connection when there is one;
// - otherwise it is pending until a connection is ready for it, and a new connection is opened for
//   it while the cluster has fewer than max_connections (else upstream_cx_overflow counts and it
//   waits for one to come free);
// - a request that finds max_pending_requests already pending fails at once (overflow:
//   upstream_rq_pending_overflow, the router answers 503 UO); so does one that would exceed
//   max_requests when it attaches to a connection — Envoy counts that in the same stat;
// - the cluster's gauges as Envoy names them: upstream_cx_active, upstream_rq_active,
//   upstream_rq_pending_active and circuit_breakers.default.{cx,rq_pending,rq}_open.
//
// node:http's Agent does the connection keeping: maxTotalSockets is the connection breaker, its
// queue holds the pending requests, and this class counts and refuses as Envoy does around it.

import http from 'node:http';
import type { Thresholds } from './circuit-breakers.ts';
import type { Cluster, SocketAddress } from './model.ts';

/** Counters and gauges by full name (stats.ts). */
export interface PoolStats {
  inc(name: string): void;
  set(name: string, value: number): void;
}

/** A request's place in the pool, from admission until the request is done. */
export interface PoolSlot {
  /** The request has its connection; false = max_requests overflowed (the call must fail). */
  attached(): boolean;
  /** The request is done or abandoned (idempotent). */
  release(): void;
}

export class ClusterPool {
  readonly agent: http.Agent;
  private readonly limits: Thresholds;
  private connections = 0;
  private pending = 0;
  private active = 0;

  constructor(private readonly cluster: Cluster, private readonly stats: PoolStats) {
    this.limits = cluster.circuitBreakers;
    const agent = new http.Agent({
      keepAlive: true,
      maxTotalSockets: this.limits.maxConnections,
      // Envoy keeps every idle connection until its idle_timeout (1 h by default).
      maxFreeSockets: this.limits.maxConnections,
    });
    // Every connection the agent opens is counted until it closes (upstream_cx_total, _active).
    const connect = agent.createConnection.bind(agent);
    agent.createConnection = (options, cb) => {
      const socket = connect(options, cb);
      if (!socket) return socket;
      this.connections++;
      this.inc('upstream_cx_total');
      this.publish();
      socket.once('close', () => {
        this.connections--;
        this.publish();
      });
      return socket;
    };
    this.agent = agent;
    this.publish();
  }

  /** Envoy's newStream: a slot for a request to `endpoint`, or undefined on overflow (counted). */
  admit(endpoint: SocketAddress): PoolSlot | undefined {
    let state: 'pending' | 'active' | 'done';
    if (this.hasIdleConnection(endpoint)) {
      if (this.active >= this.limits.maxRequests) return this.overflow();
      state = 'active';
      this.active++;
    } else {
      if (this.pending >= this.limits.maxPendingRequests) return this.overflow();
      state = 'pending';
      this.pending++;
      this.inc('upstream_rq_pending_total');
      if (this.connections >= this.limits.maxConnections) this.inc('upstream_cx_overflow');
    }
    this.publish();
    return {
      attached: () => {
        if (state !== 'pending') return state === 'active';
        this.pending--;
        if (this.active >= this.limits.maxRequests) {
          state = 'done';
          this.overflow();
          this.publish();
          return false;
        }
        state = 'active';
        this.active++;
        this.publish();
        return true;
      },
      release: () => {
        if (state === 'pending') this.pending--;
        else if (state === 'active') this.active--;
        else return;
        state = 'done';
        this.publish();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }

  private hasIdleConnection(e: SocketAddress): boolean {
    const free = this.agent.freeSockets[this.agent.getName({ host: e.address, port: e.port })];
    return free !== undefined && free.some((s) => !s.destroyed);
  }

  private overflow(): undefined {
    this.inc('upstream_rq_pending_overflow');
    return undefined;
  }

  private inc(name: string) {
    this.stats.inc(`cluster.${this.cluster.name}.${name}`);
  }

  private publish() {
    const p = `cluster.${this.cluster.name}.`;
    const l = this.limits;
    this.stats.set(`${p}upstream_cx_active`, this.connections);
    this.stats.set(`${p}upstream_rq_active`, this.active);
    this.stats.set(`${p}upstream_rq_pending_active`, this.pending);
    this.stats.set(`${p}circuit_breakers.default.cx_open`, this.connections >= l.maxConnections ? 1 : 0);
    this.stats.set(`${p}circuit_breakers.default.rq_pending_open`, this.pending >= l.maxPendingRequests ? 1 : 0);
    this.stats.set(`${p}circuit_breakers.default.rq_open`, this.active >= l.maxRequests ? 1 : 0);
  }
}

/** Every cluster's pool, process-wide like Envoy's cluster manager (shared by all listeners). */
export class ClusterPools {
  private readonly pools = new Map<string, ClusterPool>();

  constructor(private readonly stats: PoolStats) {}

  of(c: Cluster): ClusterPool {
    let p = this.pools.get(c.name);
    if (!p) this.pools.set(c.name, (p = new ClusterPool(c, this.stats)));
    return p;
  }

  close(): void {
    for (const p of this.pools.values()) p.close();
  }
}
