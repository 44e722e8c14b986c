// Decision counters, batched in the VM: a request adds 1 to a raw u32 slot (no host call, no GC
// allocation), and the flush duty (on the root's tick, ticks/scheduler.ts) hands each slot's
// delta to Envoy with proxy_increment_metric, so a metric lags by at most one tick. Counters are
// defined at flush time, the first time their slot has a count (route counters' names are
// already UTF-8 in the rule table), so an unused route costs Envoy no stat.
//
// Slots, 8 bytes each (count | metric id + 1, 0 = not defined yet), in one raw block sized when
// a table is adopted: FIXED slots (passthrough, unknown key, local reply, path too long), then one
// per action, then one per key source (the source that yielded the key; its counter's name is
// built from the table when it is defined, rules/metric.ts keySourceMetric).
// A table swap (adopt) flushes the old table's counts first, so none is lost.

import { RuleTable } from "../rules/table";
import { PASSTHROUGH_METRIC, UNKNOWN_KEY_METRIC, LOCAL_REPLY_METRIC, PATH_TOO_LONG_METRIC, keySourceMetric } from "../rules/metric";
import { KeySourceKind } from "../config/model";
import { defineCounter, defineCounterRaw, incrementCounter } from "../sdk";
import { Duty } from "../ticks/scheduler";

/** How often the counts reach Envoy: a metric lags by at most this. */
export const METRICS_FLUSH_MS: u32 = 1000;

const PASSTHROUGH: i32 = 0;
const UNKNOWN_KEY: i32 = 1;
const LOCAL_REPLY: i32 = 2;
const PATH_TOO_LONG: i32 = 3;
const FIXED: i32 = 4;

/** The fixed slots' counter names, by slot. */
function fixedName(slot: i32): string {
  return slot == PASSTHROUGH ? PASSTHROUGH_METRIC : slot == UNKNOWN_KEY ? UNKNOWN_KEY_METRIC
    : slot == LOCAL_REPLY ? LOCAL_REPLY_METRIC : PATH_TOO_LONG_METRIC;
}

/** Key source `s`'s counter name, built when the counter is defined (not per request). */
function sourceMetric(table: RuleTable, s: i32): string {
  let kind = table.sourceKind(s);
  let header = kind == KeySourceKind.Header; // named by its header; the others by their member
  return keySourceMetric(kind, String.UTF8.decodeUnsafe(header ? table.sourceNamePtr(s) : table.sourceMemberPtr(s),
    header ? table.sourceNameLen(s) : table.sourceMemberLen(s)));
}

export class DecisionMetrics extends Duty {
  private block: usize = 0;
  private slots: i32 = 0;
  /** Slots the block has room for (at least `slots`). */
  private capacity: i32 = 0;
  private table: RuleTable | null = null;
  /** The first key source slot (after the action slots). */
  private sourceBase: i32 = 0;
  private dirty: bool = false;

  constructor() {
    super(METRICS_FLUSH_MS);
  }

  /** Defines the fixed counters, so that they show as 0 (on configure: no host calls earlier). */
  define(): void {
    for (let i = 0; i < FIXED; i++) defineCounter(fixedName(i));
  }

  /**
   * `table` is now the one requests count against: the previous one's counts are flushed first
   * (its names are still readable: it is retired only after this), then the slots restart at 0.
   */
  adopt(table: RuleTable | null): void {
    this.flush();
    this.table = table;
    // The block is kept while it is large enough (a swap of the same size moves nothing, so the
    // heap does not fragment around the tables being swapped); none without a table, when nothing
    // counts (streams pass unchanged). Ids restart too: each counter is defined again on its next
    // count (Envoy gives the same id for the same name).
    let n = 0;
    if (table !== null) {
      this.sourceBase = FIXED + table.actionCount;
      n = this.sourceBase + table.sourceCount;
    }
    if (n > this.capacity || n == 0) {
      heap.free(this.block);
      this.block = n != 0 ? heap.alloc(<usize>n << 3) : 0;
      this.capacity = n;
    }
    memory.fill(this.block, 0, <usize>n << 3);
    this.slots = n;
  }

  countPassthrough(): void { this.bump(PASSTHROUGH); }
  /** A key was present and matched no route (whatever was done then). */
  countUnknownKey(): void { this.bump(UNKNOWN_KEY); }
  /** The filter answered the request itself. */
  countLocalReply(): void { this.bump(LOCAL_REPLY); }
  /** A route with a path prefix left a request unrewritten: its path was too long to copy. */
  countPathTooLong(): void { this.bump(PATH_TOO_LONG); }
  /** `action` of the adopted table was taken. */
  countAction(action: i32): void { this.bump(FIXED + action); }
  /** Key source `source` of the adopted table yielded the request's key (keys/index.ts findKey; `source` >= 0). */
  countKeySource(source: i32): void { this.bump(this.sourceBase + source); }

  @inline private bump(slot: i32): void {
    if (<u32>slot < <u32>this.slots) {
      let p = this.block + (<usize>slot << 3);
      store<u32>(p, load<u32>(p) + 1);
      this.dirty = true;
    }
  }

  run(): void { this.flush(); }

  /** Hands every pending count to Envoy (one host call per counter that moved). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (let i = 0; i < this.slots; i++) {
      let p = this.block + (<usize>i << 3);
      let c = load<u32>(p);
      if (c == 0) continue;
      let id = this.defineSlot(i);
      if (id < 0) { this.dirty = true; continue; } // kept for the next flush
      incrementCounter(id, c);
      store<u32>(p, 0);
    }
  }

  /** Slot `i`'s metric id, defined now if need be; -1 when the host refused. */
  private defineSlot(i: i32): i64 {
    let p = this.block + (<usize>i << 3);
    let v = load<u32>(p, 4);
    if (v != 0) return <i64>(v - 1);
    let id: i64 = -1;
    if (i < FIXED) {
      id = defineCounter(fixedName(i));
    } else {
      let table = this.table;
      let a = i - FIXED;
      if (table !== null) {
        id = a < table.actionCount ? defineCounterRaw(table.metricNamePtr(a), table.metricNameLen(a))
          : defineCounter(sourceMetric(table, a - table.actionCount));
      }
    }
    if (id >= 0) store<u32>(p, <u32>id + 1, 4);
    return id;
  }
}
