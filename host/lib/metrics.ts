// Metrics as Envoy keeps them for a plugin: `wasmcustom.<name>`, one store shared by all VMs of
// the plugin, ids per VM with the type in the low two bits.

import type { MetricValue } from './api.ts';
import { METRIC_ID_INCREMENT, METRIC_TYPE_MASK, MetricType, WasmResult } from './abi/types.ts';

const TYPE_NAMES = ['counter', 'gauge', 'histogram'] as const;
const MAX_SAMPLES = 1000;

interface Metric {
  name: string;
  type: MetricType;
  value: bigint;
  count: number;
  samples: number[];
}

export class MetricStore {
  private readonly metrics = new Map<string, Metric>();

  get(type: MetricType, name: string): Metric {
    const full = `wasmcustom.${name}`;
    const key = `${type}:${full}`;
    let m = this.metrics.get(key);
    if (!m) this.metrics.set(key, (m = { name: full, type, value: 0n, count: 0, samples: [] }));
    return m;
  }

  snapshot(): MetricValue[] {
    return [...this.metrics.values()].map((m) => {
      const v: MetricValue = {
        name: m.name,
        type: TYPE_NAMES[m.type]!,
        value: m.type === MetricType.Histogram ? m.count : Number(m.value),
      };
      if (m.type === MetricType.Histogram) v.samples = [...m.samples];
      return v;
    });
  }
}

/** One VM's view: metric ids → shared metrics. */
export class VmMetrics {
  private readonly byId = new Map<number, Metric>();
  private readonly next = [0, 1, 2].map((t) => t + METRIC_ID_INCREMENT);

  constructor(private readonly store: MetricStore) {}

  define(type: number, name: string): { result: WasmResult; id?: number } {
    if (type > MetricType.Histogram) return { result: WasmResult.BadArgument };
    const id = this.next[type]!;
    this.next[type] = id + METRIC_ID_INCREMENT;
    this.byId.set(id, this.store.get(type as MetricType, name));
    return { result: WasmResult.Ok, id };
  }

  private find(id: number): Metric | undefined {
    return this.byId.get(id >>> 0);
  }

  increment(id: number, offset: bigint): WasmResult {
    const type = (id & METRIC_TYPE_MASK) as MetricType;
    if (type === MetricType.Histogram || type > MetricType.Histogram) return WasmResult.BadArgument;
    const m = this.find(id);
    if (!m) return WasmResult.NotFound;
    if (type === MetricType.Counter) {
      if (offset <= 0n) return WasmResult.BadArgument;
      m.value += offset;
    } else {
      m.value += offset;
      if (m.value < 0n) m.value = 0n;
    }
    return WasmResult.Ok;
  }

  record(id: number, value: bigint): WasmResult {
    const m = this.find(id);
    if (!m) return WasmResult.NotFound;
    const v = BigInt.asUintN(64, value);
    if (m.type === MetricType.Counter) m.value += v;
    else if (m.type === MetricType.Gauge) m.value = v;
    else {
      m.count++;
      m.samples.push(Number(v));
      if (m.samples.length > MAX_SAMPLES) m.samples.shift();
    }
    return WasmResult.Ok;
  }

  get(id: number): { result: WasmResult; value?: bigint } {
    const type = (id & METRIC_TYPE_MASK) as MetricType;
    if (type === MetricType.Histogram) return { result: WasmResult.BadArgument };
    const m = this.find(id);
    if (!m) return { result: WasmResult.NotFound };
    return { result: WasmResult.Ok, value: m.value };
  }
}
