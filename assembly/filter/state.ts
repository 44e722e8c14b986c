// What a stream needs of its root context: the rules in force, the decision counters and a pool
// to go back to. The root (filter/root.ts) extends StreamRoot and makes streams; a stream
// (filter/stream.ts) knows only this, so the two do not import each other.
import { RootContext, Context } from "../sdk";
import { RuleTable } from "../rules/table";
import { DecisionMetrics } from "./metrics";

/** A stream context that can be handed out again for another request. */
export abstract class PooledStream extends Context {
  /** Makes the stream new for the request with `contextId`. */
  abstract reuse(contextId: u32): void;
}

export abstract class StreamRoot extends RootContext {
  /** The rules in force; null until the first good configuration. */
  table: RuleTable | null = null;
  readonly metrics: DecisionMetrics = new DecisionMetrics();
  /** Streams that ended, for the next requests: a request costs no GC allocation in steady state. */
  private pool: Array<PooledStream> = [];

  /** Called by a stream as it ends. */
  recycle(stream: PooledStream): void {
    this.pool.push(stream);
  }

  /** A pooled stream made new for `contextId`, or null when the pool is empty. */
  protected reusePooled(contextId: u32): PooledStream | null {
    let pool = this.pool;
    if (pool.length == 0) return null;
    let stream = pool.pop();
    stream.reuse(contextId);
    return stream;
  }

  /** Lets the pooled streams go (the root is done). */
  protected dropPool(): void {
    this.pool.length = 0;
  }
}
