// The root's log-level duty: the filter's debug lines are built only when the host's level lets
// them through (sdk.ts logEnabled), and the level is read once per period rather than per request
// (a host call per request), so a level changed at run time (Envoy's /logging) shows within it.
import { refreshLogLevel } from "../sdk";
import { Duty } from "../ticks/scheduler";

/** How soon a changed log level reaches the filter. */
export const LOG_LEVEL_REFRESH_MS: u32 = 1000;

export class LogLevelRefresh extends Duty {
  constructor() {
    super(LOG_LEVEL_REFRESH_MS);
  }

  run(): void {
    refreshLogLevel();
  }
}
