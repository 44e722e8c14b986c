// Decision counters. Route counters are defined the first time their route is taken (their
// names are already UTF-8 in the rule table), so an unused route costs Envoy no stat.

import { RuleTable } from "../rules/table";
import { PASSTHROUGH_METRIC } from "../rules/metric";
import { defineCounter, defineCounterRaw, incrementCounter } from "../sdk";

export class DecisionMetrics {
  private passthrough: i64 = -1;

  /** Defines the fixed counters; called on configure (host calls are not allowed earlier). */
  define(): void {
    if (this.passthrough < 0) this.passthrough = defineCounter(PASSTHROUGH_METRIC);
  }

  countPassthrough(): void {
    incrementCounter(this.passthrough);
  }

  countAction(table: RuleTable, action: i32): void {
    let id = table.metricId(action);
    if (id < 0) {
      id = defineCounterRaw(table.metricNamePtr(action), table.metricNameLen(action));
      if (id >= 0) table.setMetricId(action, <u32>id);
    }
    incrementCounter(id);
  }
}
