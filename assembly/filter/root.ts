// The root context: turns the plugin configuration into a rule table once, and hands streams
// out of a pool so that a request costs no GC allocation in steady state.

import { RootContext, Context, LogLevelValues, log, logEnabled, readPluginConfiguration } from "../sdk";
import { parseConfig } from "../config/parse";
import { RuleTable } from "../rules/table";
import { DecisionMetrics } from "./metrics";
import { RoutekeyStream } from "./stream";

export const ROOT_ID = "routekey";

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
    let result = parseConfig(readPluginConfiguration(configurationSize));
    let config = result.config;
    if (config === null) {
      let error = result.error;
      log(LogLevelValues.critical, "routekey: invalid configuration: " + (error !== null ? error : "unknown error"));
      return false;
    }
    this.metrics.define();
    let table = RuleTable.compile(config);
    let old = this.table;
    this.table = table;
    if (old !== null) old.retire();
    if (logEnabled(LogLevelValues.info)) {
      log(LogLevelValues.info, "routekey: configured " + config.routes.length.toString() + " routes" +
        (config.defaultAction !== null ? " and a default" : ", no default") +
        " (" + table.byteSize().toString() + " bytes of rules)");
    }
    return true;
  }
}
