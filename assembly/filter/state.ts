// What a stream needs of its root context: the rules in force, the decision counters and a pool
// to go back to. The root (filter/root.ts) extends StreamRoot and makes streams; a stream
// (filter/stream.ts) knows only this, so the two do not import each other. The pool holds plain
// Contexts: reusing one only gives it a new id, which every Context has, so no stream base class
// is needed between the SDK's Context and RoutekeyStream.
import { RootContext, Context } from "../sdk";
import { RuleTable } from "../rules/table";
import { DecisionMetrics } from "./metrics";

export abstract class StreamRoot extends RootContext {
  /** The rules in force; null until the first good configuration. */
  table: RuleTable | null = null;
  readonly metrics: DecisionMetrics = new DecisionMetrics();
  /**
   * Streams that ended, for the next requests: a request costs no GC allocation in steady state.
   * A stream resets its own state as it ends (before `recycle`), so reusing it only gives it the
   * new request's id.
   */
  private pool: Array<Context> = [];

  /**
   * Puts `table` in force (null: requests pass unchanged). The old table is retired: streams
   * that started with it keep it until they end, new streams get the new one.
   */
  install(table: RuleTable | null): void {
    let old = this.table;
    this.table = table;
    if (old !== null && old !== table) old.retire();
  }

  /** Called by a stream as it ends. */
  recycle(stream: Context): void {
    this.pool.push(stream);
  }

  /** A pooled stream given `contextId`, or null when the pool is empty. */
  protected reusePooled(contextId: u32): Context | null {
    let pool = this.pool;
    if (pool.length == 0) return null;
    let stream = pool.pop();
    stream.context_id = contextId;
    return stream;
  }

  /** Lets the pooled streams go (the root is done). */
  protected dropPool(): void {
    this.pool.length = 0;
  }
}
