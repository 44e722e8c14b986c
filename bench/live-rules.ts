// The live-rules row group of `npm run bench` (issue 8): how long a worker VM takes to adopt a
// published rules document of 10k and 100k routes, and its linear memory around the swap.
//
// Driven through host/lib as Envoy runs it: one HostProcess (shared data process-wide) and VMS
// plugin VMs of the built filter, each configured with a rulesService, manual callouts and an
// injected clock (as tests/filter/rules-workers.test.ts does). The VM holding the fetch lease gets
// the document in its callout answer — parse, validate, compile, publish in shared data, swap:
// `holder_ms`. Every other VM adopts it on its next tick — read from shared data, parse,
// compile, swap: `adopt_ms` is the median over them. Memory is each VM's linear memory before the
// first document, after it (WebAssembly memory never shrinks, so this is the peak the swap
// needed), and after a second document of the same size replaced the first (freed space reused:
// equal to the peak). Each figure is the largest over the VMs.
import { createHostProcess, startPlugin } from '../host/lib/index.ts';
import type { Plugin } from '../host/lib/api.ts';
import { builtWasm } from '../tests/helpers/routekey.ts';
import { Clock, liveConfig, manual, ok200 } from '../tests/helpers/rules.ts';
import { median } from './stats.ts';

export const LIVE_RULES_SIZES = [10_000, 100_000];
const VMS = 3;

function doc(routes: number, version: string): string {
  return JSON.stringify({
    version,
    routes: Array.from({ length: routes }, (_, i) => ({
      name: `sb-${i}`, keys: [`sandbox-${i}-${version}`], destination: `sandbox-${i}.dev.svc:8080`,
      requestHeaders: { set: { 'x-sandbox': `sb-${i}` } },
    })),
  });
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** One swap: the holder gets `body`, the others tick; returns the holder's and the adopters' ms. */
function swap(vms: Plugin[], clock: Clock, body: string, version: string): { holder: number; adopt: number[] } {
  clock.now += 1000;
  for (const p of vms) p.tick();
  const holders = vms.filter((p) => p.pendingCallouts().length > 0);
  if (holders.length !== 1) throw new Error(`live rules: expected one VM fetching, got ${holders.length}`);
  const h = holders[0]!;
  const [c] = h.pendingCallouts();
  const t0 = process.hrtime.bigint();
  const d = h.deliverCallout(c!.token, ok200(body), c!.vm);
  const holder = ms(t0);
  if (d.failure !== undefined) throw new Error(`live rules: the holder failed: ${d.failure}`);
  clock.now += 250;
  const adopt: number[] = [];
  for (const p of vms) {
    if (p === h) continue;
    const t1 = process.hrtime.bigint();
    p.tick();
    adopt.push(ms(t1));
  }
  for (const p of vms) {
    if (!p.logs.some((l) => l.message.includes(`rules version '${version}'`))) throw new Error(`live rules: a VM did not take ${version}`);
    p.logs.length = 0;
  }
  return { holder, adopt };
}

export async function liveRulesRows(sizes = LIVE_RULES_SIZES): Promise<Array<Record<string, number | string>>> {
  const rows: Array<Record<string, number | string>> = [];
  for (const routes of sizes) {
    const clock = new Clock();
    const process_ = createHostProcess();
    const configuration = JSON.stringify(liveConfig({ maxBytes: 16 << 20, refreshMs: 1000 }));
    const vms: Plugin[] = [];
    for (let i = 0; i < VMS; i++) {
      vms.push(await startPlugin({ wasm: builtWasm(), rootId: 'routekey', configuration, workers: 1, recordHostCalls: false, ...manual(clock, { process: process_ }) }));
    }
    try {
      const peak = () => Math.max(...vms.map((p) => p.memoryBytes()));
      const before = peak();
      const first = doc(routes, 'v1');
      const one = swap(vms, clock, first, 'v1');
      const afterFirst = peak();
      const two = swap(vms, clock, doc(routes, 'v2'), 'v2');
      rows.push({
        group: 'live rules', routes, vms: VMS, doc_bytes: first.length,
        holder_ms: Math.round(one.holder), adopt_ms: Math.round(median(one.adopt)),
        second_holder_ms: Math.round(two.holder), second_adopt_ms: Math.round(median(two.adopt)),
        memory_before_kib: before / 1024, memory_peak_kib: afterFirst / 1024, memory_after_kib: peak() / 1024,
      });
    } finally {
      await Promise.all(vms.map((p) => p.close()));
    }
  }
  return rows;
}
