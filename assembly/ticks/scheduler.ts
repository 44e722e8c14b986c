// One host timer shared by the root's periodic duties. Proxy-wasm gives a root context a single
// tick period; duties (the log-level refresh, the live-rules fetcher of fetch/; metric flush later) each
// want their own. Each duty registers its period, the root arms the tick at their greatest
// common divisor, and each tick runs the duties whose period has elapsed. Time is counted in
// ticks, not read from the host: no host call (and no import) for the clock.
//
// Pure: no host calls here; the root arms the timer with `periodMs` and calls `tick`.

/** A periodic duty of the root. */
export abstract class Duty {
  /** Kept by the scheduler: ticks between runs, and ticks left until the next run. */
  every: i32 = 0;
  left: i32 = 0;

  constructor(
    /** How often it runs, in milliseconds; more than 0. */
    public readonly periodMs: u32,
  ) {}

  abstract run(): void;
}

export class TickScheduler {
  private duties: Duty[] = [];
  private tickMs: u32 = 0;

  /** The tick period the duties need (0: none, the timer stays off). */
  get periodMs(): u32 {
    return this.tickMs;
  }

  /** Adds `duty` (a period of 0 would never run: it is not added). Restarts every duty's count. */
  add(duty: Duty): void {
    if (duty.periodMs == 0) return;
    this.duties.push(duty);
    this.tickMs = this.tickMs == 0 ? duty.periodMs : gcd(this.tickMs, duty.periodMs);
    for (let i = 0; i < this.duties.length; i++) {
      let d = unchecked(this.duties[i]);
      d.every = <i32>(d.periodMs / this.tickMs);
      d.left = d.every;
    }
  }

  /** One tick of `periodMs` elapsed: runs, in the order they were added, the duties now due. */
  tick(): void {
    for (let i = 0; i < this.duties.length; i++) {
      let d = unchecked(this.duties[i]);
      if (--d.left <= 0) {
        d.left = d.every;
        d.run();
      }
    }
  }
}

export function gcd(a: u32, b: u32): u32 {
  while (b != 0) {
    let t = a % b;
    a = b;
    b = t;
  }
  return a;
}
