// The root context: turns the plugin configuration into a rule table once, and hands streams
// out of a pool so that a request costs no GC allocation in steady state.

import {
  RootContext, Context, LogLevelValues, log, logEnabled, setTickPeriod,
  readPluginConfiguration, hostBytesPtr, hostBytesLen, freeHostBytes,
} from "../sdk";
import { compileConfiguration } from "../rules/compile";
import { RuleTable } from "../rules/table";
import { DecisionMetrics } from "./metrics";
import { RoutekeyStream } from "./stream";

export const ROOT_ID = "routekey";

/** The SDK re-reads the host's log level on every tick: a level changed at run time (Envoy's
 *  /logging) reaches the filter's own debug lines within this period, without a host call per
 *  request. */
const LOG_LEVEL_REFRESH_MS: u32 = 1000;

export class RoutekeyRoot extends RootContext {
  /** The rules in force; null until the first good configuration. */
  table: RuleTable | null = null;
  readonly metrics: DecisionMetrics = new DecisionMetrics();
  private pool: Array<RoutekeyStream> = [];

  createContext(contextId: u32): Context {
    let pool = this.pool;
    if (pool.length > 0) {
      let stream = pool.pop();
      stream.reuse(contextId);
      return stream;
    }
    return new RoutekeyStream(contextId, this);
  }

  recycle(stream: RoutekeyStream): void {
    this.pool.push(stream);
  }

  onConfigure(configurationSize: u32): bool {
    // The bytes are compiled where the host put them, then freed: no copy is kept.
    let ptr: usize = 0;
    let len: usize = 0;
    if (readPluginConfiguration(configurationSize)) {
      ptr = hostBytesPtr();
      len = hostBytesLen();
    }
    let result = compileConfiguration(ptr, <i32>len);
    freeHostBytes(ptr);
    let table = result.table;
    if (table === null) {
      let error = result.error;
      log(LogLevelValues.critical, "routekey: invalid configuration: " + (error !== null ? error : "unknown error"));
      return false;
    }
    this.metrics.define();
    setTickPeriod(LOG_LEVEL_REFRESH_MS);
    let old = this.table;
    this.table = table;
    if (old !== null) old.retire();
    if (logEnabled(LogLevelValues.info)) {
      let routes = table.routeCount;
      log(LogLevelValues.info, "routekey: configured " + routes.toString() + (routes == 1 ? " route" : " routes") +
        (table.defaultAction >= 0 ? " and a default" : ", no default") +
        " (" + table.byteSize().toString() + " bytes of rules)");
    }
    return true;
  }

  /** Envoy configures a NEW root context for each new configuration, then ends the old one:
   *  its rules are freed here (streams still using them keep them until they end). */
  onDone(): bool {
    let table = this.table;
    this.table = null;
    if (table !== null) table.retire();
    this.pool.length = 0;
    return super.onDone();
  }
}
