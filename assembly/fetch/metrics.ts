// The fetcher's metrics (README, "Live rules"). Dotted, with the failure reason as the last
// segment after `reason`, so one Envoy stats_tags regex turns it into a label:
//   routekey.rules.fetch.attempt / .success / .not_modified / .failed.reason.<reason>
//   routekey.rules.swap, gauges routekey.rules.routes and routekey.rules.generation
import { defineCounter, defineGauge, incrementCounter, setGauge } from "../sdk";

/** Why a fetch failed: the metric's last segment and the log line's words. */
export const enum FailReason {
  /** No answer: connect failure or reset (Envoy: n_headers 0, or its 503 local reply). */
  Connect = 0,
  /** Envoy's 504 local reply, or no answer at all long past the timeout. */
  Timeout = 1,
  /** Any status other than 200 and 304. */
  Status = 2,
  /** A body over maxBytes. */
  TooLarge = 3,
  /** Not a valid rules document. */
  Invalid = 4,
}

const REASONS: string[] = ["connect", "timeout", "status", "too_large", "invalid"];

export function reasonName(r: FailReason): string {
  return unchecked(REASONS[<i32>r]);
}

/** The failure counters' ids, by reason: the same for every root (Envoy gives one id per name). */
const failedIds = memory.data(8 * 5);

export class FetchMetrics {
  private attempt: i64 = -1;
  private success: i64 = -1;
  private notModified: i64 = -1;
  private swapped: i64 = -1;
  private routeGauge: i64 = -1;
  private genGauge: i64 = -1;

  /** Defines them all (on configure: host calls are not allowed earlier). */
  define(): void {
    this.attempt = defineCounter("routekey.rules.fetch.attempt");
    this.success = defineCounter("routekey.rules.fetch.success");
    this.notModified = defineCounter("routekey.rules.fetch.not_modified");
    for (let i = 0; i < REASONS.length; i++) {
      store<i64>(failedIds + <usize>i * 8, defineCounter("routekey.rules.fetch.failed.reason." + unchecked(REASONS[i])));
    }
    this.swapped = defineCounter("routekey.rules.swap");
    this.routeGauge = defineGauge("routekey.rules.routes");
    this.genGauge = defineGauge("routekey.rules.generation");
  }

  attempted(): void { incrementCounter(this.attempt); }
  succeeded(): void { incrementCounter(this.success); }
  unchanged(): void { incrementCounter(this.notModified); }
  failedFor(r: FailReason): void {
    incrementCounter(load<i64>(failedIds + <usize>r * 8));
  }
  swap(routes: i32, generation: u64): void {
    incrementCounter(this.swapped);
    this.routes(routes);
    setGauge(this.genGauge, generation);
  }
  routes(n: i32): void { setGauge(this.routeGauge, <u64>n); }
}
