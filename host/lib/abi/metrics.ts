// proxy_*_metric: the VM's view of its plugin's metrics (host/lib/metrics.ts keeps Envoy's rules).

import type { VmMetrics } from '../metrics.ts';
import type { ImportTable } from './host-calls.ts';
import { WasmResult } from './types.ts';

export function defineMetricCalls(t: ImportTable, metrics: VmMetrics): void {
  t.define('proxy_define_metric', (type: number, np: number, ns: number, idPtr: number) => {
    const name = t.mem.readString(np, ns);
    if (name === undefined) return t.badMemory();
    const r = metrics.define(type >>> 0, name);
    if (r.result !== WasmResult.Ok) return r.result;
    return t.wrote(t.mem.writeU32(idPtr, r.id!));
  });
  t.define('proxy_increment_metric', (id: number, offset: bigint) => metrics.increment(id >>> 0, BigInt(offset)));
  t.define('proxy_record_metric', (id: number, value: bigint) => metrics.record(id >>> 0, BigInt(value)));
  t.define('proxy_get_metric', (id: number, resultPtr: number) => {
    const r = metrics.get(id >>> 0);
    if (r.result !== WasmResult.Ok) return r.result;
    return t.wrote(t.mem.writeU64(resultPtr, r.value!));
  });
}
