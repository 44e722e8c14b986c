// The root context: turns the plugin configuration into a rule table once, hands streams out of
// a pool (filter/state.ts) so that a request costs no GC allocation in steady state, and runs the
// periodic duties on the host's tick (ticks/scheduler.ts).

import {
  Context, LogLevelValues, log, logEnabled, setTickPeriod,
  readPluginConfiguration, hostBytesPtr, hostBytesLen, freeHostBytes,
} from "../sdk";
import { compileConfiguration } from "../rules/compile";
import { TickScheduler } from "../ticks/scheduler";
import { StreamRoot } from "./state";
import { RoutekeyStream } from "./stream";
import { LogLevelRefresh } from "./loglevel";
import { Initial } from "../config/service";
import { RulesFetcher } from "../fetch";
import { RuleTable } from "../rules/table";

export const ROOT_ID = "routekey";
/** The version header's value for the configuration's own routes (README, "Live rules"). */
export const INLINE_VERSION = "inline";

export class RoutekeyRoot extends StreamRoot {
  /** The periodic duties: the log-level refresh, and the live-rules fetcher when configured. */
  private readonly ticks: TickScheduler = new TickScheduler();
  /** Live rules from a rules server, when the configuration names one (fetch/). */
  private fetcher: RulesFetcher | null = null;

  constructor(contextId: u32) {
    super(contextId);
    this.ticks.add(new LogLevelRefresh());
    this.ticks.add(this.metrics);
  }

  createContext(contextId: u32): Context {
    let stream = this.reusePooled(contextId);
    return stream !== null ? stream : new RoutekeyStream(contextId, this);
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
    let service = result.service;
    if (service !== null && this.fetcher === null) {
      let passthrough = service.initial == Initial.Passthrough;
      let fetcher = new RulesFetcher(service, result.keySources, result.decisionHeader, result.versionHeader, this);
      fetcher.start(passthrough ? 0 : table.routeCount);
      this.fetcher = fetcher;
      this.ticks.add(fetcher);
      if (passthrough) {
        // Nothing routes until the first good document.
        table.retire();
        table = null;
      }
    }
    if (table !== null) table.setVersion(result.versionHeader, INLINE_VERSION);
    // Host calls are allowed from here on (not in the constructor): arm what the duties need.
    setTickPeriod(this.ticks.periodMs);
    this.install(table);
    if (table === null) {
      log(LogLevelValues.info, "routekey: configured; requests pass unchanged until the first rules document");
      return true;
    }
    if (logEnabled(LogLevelValues.info)) {
      let routes = table.routeCount;
      log(LogLevelValues.info, "routekey: configured " + routes.toString() + (routes == 1 ? " route" : " routes") +
        (table.defaultAction >= 0 ? " and a default" : ", no default") +
        " (" + table.byteSize().toString() + " bytes of rules)");
    }
    return true;
  }

  /** Callouts land on the root: the fetcher's answer (the SDK's own callouts are not used). */
  onHttpCallResponse(token: u32, headers: u32, bodySize: u32, _trailers: u32): void {
    let fetcher = this.fetcher;
    if (fetcher !== null) fetcher.onResponse(token, headers, bodySize);
  }

  /** Every table swap (configure, live rules) goes through here: the counts made against the old
   *  table reach Envoy before it is retired. */
  install(table: RuleTable | null): void {
    this.metrics.adopt(table);
    super.install(table);
  }

  onTick(): void {
    this.ticks.tick();
    super.onTick();
  }

  /** Envoy configures a NEW root context for each new configuration, then ends the old one:
   *  its rules are freed here (streams still using them keep them until they end). */
  onDone(): bool {
    let fetcher = this.fetcher;
    if (fetcher !== null) fetcher.stop();
    this.install(null); // flushes the pending counts, retires the table
    this.dropPool();
    return super.onDone();
  }
}
