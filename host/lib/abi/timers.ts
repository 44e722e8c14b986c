// The guest's clock and its root context's tick period.

import type { RootContext } from '../contexts.ts';
import type { ImportTable } from './host-calls.ts';
import { WasmResult } from './types.ts';

/** What the clock and tick calls need besides the calling context. */
export interface TimerHost {
  /** The guest's realtime clock (Envoy's getCurrentTimeNanoseconds). */
  nowNanoseconds(): bigint;
  setTickPeriod(root: RootContext, ms: number): void;
}

export function defineTimerCalls(t: ImportTable, host: TimerHost): void {
  t.define('proxy_get_current_time_nanoseconds', (ptr: number) => t.wrote(t.mem.writeU64(ptr, host.nowNanoseconds())));

  t.define('proxy_set_tick_period_milliseconds', (ms: number) => {
    const r = t.root();
    if (!r) return t.badArg('no root context');
    host.setTickPeriod(r, ms >>> 0);
    return WasmResult.Ok;
  });
}
