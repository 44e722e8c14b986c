// The root's tick scheduler: one host period for all duties, each run when its own period is due.
import { Duty, TickScheduler, gcd } from "../../../assembly/ticks/scheduler";

/** Records its runs into a shared log, as the tick number it ran at. */
class Recorder extends Duty {
  runs: i32[] = [];
  now: i32 = 0;
  constructor(periodMs: u32, private readonly order: string[], private readonly label: string) {
    super(periodMs);
  }
  run(): void {
    this.runs.push(this.now);
    this.order.push(this.label);
  }
}

function drive(s: TickScheduler, duties: Recorder[], ticks: i32): void {
  for (let t = 1; t <= ticks; t++) {
    for (let i = 0; i < duties.length; i++) duties[i].now = t;
    s.tick();
  }
}

describe("TickScheduler", () => {
  it("needs no tick without duties, and ignores a duty of period 0", () => {
    let s = new TickScheduler();
    expect(s.periodMs).toBe(0);
    s.add(new Recorder(0, [], "never"));
    expect(s.periodMs).toBe(0);
    s.tick(); // nothing to run, nothing to fail
  });

  it("arms one duty at its own period and runs it on every tick", () => {
    let s = new TickScheduler();
    let order: string[] = [];
    let d = new Recorder(1000, order, "log");
    s.add(d);
    expect(s.periodMs).toBe(1000);
    drive(s, [d], 3);
    expect(d.runs.length).toBe(3);
    expect(d.runs[0]).toBe(1);
    expect(d.runs[2]).toBe(3);
  });

  it("arms the greatest common divisor and runs each duty when due, in the order added", () => {
    let s = new TickScheduler();
    let order: string[] = [];
    let a = new Recorder(1000, order, "a");
    let b = new Recorder(2500, order, "b");
    s.add(a);
    s.add(b);
    expect(s.periodMs).toBe(500);
    drive(s, [a, b], 10); // 5 s
    expect(a.runs.length).toBe(5);
    expect(a.runs[0]).toBe(2);
    expect(a.runs[4]).toBe(10);
    expect(b.runs.length).toBe(2);
    expect(b.runs[0]).toBe(5);
    expect(b.runs[1]).toBe(10);
    expect(order.join(",")).toBe("a,a,b,a,a,a,b");
  });
});

describe("gcd", () => {
  it("is the greatest common divisor", () => {
    expect(gcd(1000, 2500)).toBe(500);
    expect(gcd(1000, 1000)).toBe(1000);
    expect(gcd(7, 3)).toBe(1);
    expect(gcd(60000, 1000)).toBe(1000);
  });
});
