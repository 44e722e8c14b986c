// A filter configuration loaded the way Envoy loads it: a throw-away canary VM checks the
// configuration (on_vm_start + on_configure must both return true), then N worker VMs each get
// their own root context; streams go round-robin over the workers; a trapped worker is handled by
// the failure policy (fail_closed: 503 for everything, fail_open: bypass, fail_reload: new VM).

import { readFile } from 'node:fs/promises';
import type {
  CalloutDelivery, CalloutResponse, ClusterResolver, ConfigRejected, FailurePolicy, HostCallRecord, LogEntry,
  LogLevelName, LogLevelSetting, MetricValue, PendingCallout, Plugin, PluginOptions, Stream, Violation,
} from './api.ts';
import { LOG_LEVEL_OFF, LOG_LEVELS } from './abi/types.ts';
import { utf8 } from './abi/memory.ts';
import {
  type CalloutRequest, type CalloutResult, type InFlightCallout, manualResult, sendCallout,
} from './callouts.ts';
import { listFromBytes } from './headers.ts';
import { MetricStore } from './metrics.ts';
import type { RootContext } from './contexts.ts';
import { createHostProcess } from './process.ts';
import { StreamImpl } from './streams.ts';
import { ModuleRejectedError, type VmEnvironment, WasmVm } from './vm.ts';

export { ModuleRejectedError } from './vm.ts';

export class ConfigRejectedError extends Error implements ConfigRejected {
  override readonly name = 'ConfigRejectedError' as const;
  constructor(
    message: string,
    readonly logs: LogEntry[],
  ) {
    super(message);
  }
}

const MAX_CALLS_PER_VM = 100_000;
/** Log lines, violations and failures kept (the newest). */
const MAX_KEPT = 10_000;

/** Appends to a list that keeps only its newest `limit` items (trimmed in batches of a tenth). */
function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + limit / 10) list.splice(0, list.length - limit);
}

interface Worker {
  vm: WasmVm;
  root: RootContext;
}

/** A manual-mode callout waiting for deliverCallout. */
interface ManualCallout {
  vm: WasmVm;
  root: RootContext;
  info: PendingCallout;
  /** Settles the InFlightCallout's `done` (after delivery, or 'aborted' when cancelled). */
  settle(result: CalloutResult): void;
}

/** Manual mode without a resolver: every cluster is known (the address is never used). */
const ANY_CLUSTER: ClusterResolver = () => ({ host: '', port: 0 });

function bytesOf(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  return typeof v === 'string' ? utf8(v) : v;
}

/** The number proxy_get_log_level answers: 0 trace … 5 critical, 6 off. */
function levelIndex(level: LogLevelSetting): number {
  return level === 'off' ? LOG_LEVEL_OFF : LOG_LEVELS.indexOf(level);
}

class PluginImpl implements Plugin {
  readonly logs: LogEntry[] = [];
  private workers: Worker[] = [];
  private next = 0;
  private vmCount = 0;
  private configuration: Uint8Array;
  private level: number;
  private closed = false;
  private readonly policy: FailurePolicy;
  private readonly clock: () => number;
  private readonly metricStore = new MetricStore();
  private readonly calls = new Map<string, HostCallRecord[]>();
  private readonly violationList: Violation[] = [];
  private readonly failureList: Array<{ vm: string; message: string }> = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly captures = new Map<string, LogEntry[]>();
  private readonly env: VmEnvironment;
  private readonly manual: boolean;
  private readonly pending = new Set<ManualCallout>();
  /** Collects what the guest does while deliverCallout runs. */
  private delivery: CalloutDelivery | undefined;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly options: PluginOptions,
  ) {
    this.configuration = bytesOf(options.configuration);
    this.level = levelIndex(options.logLevel ?? 'info');
    this.policy = options.failurePolicy ?? 'fail_closed';
    this.clock = options.clock ?? Date.now;
    const record = options.recordHostCalls ?? true;
    this.manual = (options.callouts ?? 'network') === 'manual';
    this.env = {
      plugin: { name: options.name ?? options.rootId, rootId: options.rootId, vmId: options.vmId ?? '' },
      vmConfiguration: bytesOf(options.vmConfiguration),
      pluginProperties: options.properties,
      metrics: this.metricStore,
      process: options.process ?? createHostProcess(),
      clusters: options.clusters ?? (this.manual ? ANY_CLUSTER : undefined),
      now: this.clock,
      realTimers: options.clock === undefined,
      logLevel: () => this.level,
      log: (vm, level, message) => this.log(vm, level, message),
      hostCall: (r) => {
        if (!record) return;
        let list = this.calls.get(r.vm);
        if (!list) this.calls.set(r.vm, (list = []));
        list.push(r);
        if (list.length > MAX_CALLS_PER_VM) list.splice(0, list.length - MAX_CALLS_PER_VM / 2);
      },
      violation: (v) => {
        pushBounded(this.violationList, v, MAX_KEPT);
        this.delivery?.violations.push(v);
      },
      failed: (vm, message) => {
        if (vm.name !== 'canary') pushBounded(this.failureList, { vm: vm.name, message }, MAX_KEPT);
      },
      startCallout: (vm, root, token, request, contextId) => {
        if (this.manual) return this.recordCallout(vm, root, token, request, contextId);
        const callout = sendCallout(request);
        const tracked = callout.done.then(() => undefined);
        this.inflight.add(tracked);
        void tracked.finally(() => this.inflight.delete(tracked));
        return callout;
      },
      requestSettled: (_vm, contextId, outcome) => this.delivery?.resumed.push({ contextId, outcome }),
    };
  }

  /** Manual mode: keeps the callout for deliverCallout; cancelling (abort) drops it. */
  private recordCallout(
    vm: WasmVm, root: RootContext, token: number, request: CalloutRequest, contextId: number,
  ): InFlightCallout {
    let settle!: (r: CalloutResult) => void;
    const done = new Promise<CalloutResult>((resolve) => (settle = resolve));
    const encoding = this.options.headerEncoding ?? 'utf8';
    const entry: ManualCallout = {
      vm,
      root,
      settle,
      info: {
        vm: vm.name, token, cluster: request.cluster, headers: listFromBytes(request.headers, encoding),
        body: request.body, trailers: listFromBytes(request.trailers, encoding), timeoutMs: request.timeoutMs,
        contextId, rootContextId: root.id,
      },
    };
    this.pending.add(entry);
    return {
      done,
      abort: () => {
        if (this.pending.delete(entry)) settle({ kind: 'aborted' });
      },
    };
  }

  private log(vm: string, level: LogLevelName, message: string): void {
    const entry: LogEntry = { level, message, vm };
    this.captures.get(vm)?.push(entry);
    if (levelIndex(level) < this.level) return;
    pushBounded(this.logs, entry, MAX_KEPT);
    this.delivery?.logs.push(entry);
    this.options.onLog?.(entry);
  }

  /** Runs the canary; throws ConfigRejectedError (or ModuleRejectedError) on refusal. */
  private canary(configuration: Uint8Array): void {
    const captured: LogEntry[] = [];
    this.captures.set('canary', captured);
    let vm: WasmVm | undefined;
    try {
      vm = WasmVm.load(this.module, 'canary', this.env);
      const { ok } = vm.startRoot(this.options.rootId, configuration);
      if (!ok) {
        const reason = vm.failed
          ? `the canary VM failed while configuring: ${vm.failed}`
          : 'the plugin refused its configuration (on_vm_start or on_configure returned false)';
        throw new ConfigRejectedError(`Wasm VM failed to configure plugin ${this.env.plugin.name}: ${reason}`, captured);
      }
    } finally {
      vm?.close();
      this.captures.delete('canary');
    }
  }

  private startWorker(): Worker {
    const name = `worker-${++this.vmCount}`;
    const vm = WasmVm.load(this.module, name, this.env);
    const { root, ok } = vm.startRoot(this.options.rootId, this.configuration);
    if (!ok && !vm.failed) vm.fail(`${name}: on_vm_start/on_configure returned false after the canary accepted`);
    return { vm, root };
  }

  start(): void {
    this.canary(this.configuration);
    const n = this.options.workers ?? 2;
    for (let i = 0; i < n; i++) this.workers.push(this.startWorker());
  }

  private reload(index: number): void {
    try {
      const old = this.workers[index]!;
      this.workers[index] = this.startWorker();
      old.vm.close();
    } catch {
      // The replacement could not start either: keep the failed VM (fail-closed behaviour).
    }
  }

  createStream(properties: Record<string, string | number | Uint8Array> = {}): Stream {
    if (this.closed) throw new Error('plugin is closed');
    if (this.workers.length === 0) throw new Error('plugin has no worker VMs (workers: 0)');
    const index = this.next++ % this.workers.length;
    if (this.workers[index]!.vm.failed && this.policy === 'fail_reload') this.reload(index);
    const w = this.workers[index]!;
    return new StreamImpl(w.vm, w.root, this.policy, properties, this.options.headerEncoding ?? 'utf8');
  }

  async reconfigure(configuration: string | Uint8Array): Promise<void> {
    const bytes = bytesOf(configuration);
    this.canary(bytes);
    this.configuration = bytes;
    this.workers.forEach((w, i) => {
      if (w.vm.failed) {
        if (this.policy === 'fail_reload') this.reload(i);
        return;
      }
      const old = w.root;
      const { root, ok } = w.vm.startRoot(this.options.rootId, bytes);
      w.root = root;
      if (!ok && !w.vm.failed) w.vm.fail(`${w.vm.name}: on_configure returned false after the canary accepted`);
      if (!w.vm.failed) w.vm.shutdownRoot(old);
    });
  }

  private armedRoots(): Array<[WasmVm, RootContext]> {
    return this.workers.flatMap((w) =>
      w.vm.roots().filter((r) => r.tickPeriodMs > 0).map((r): [WasmVm, RootContext] => [w.vm, r]));
  }

  tick(): void {
    const now = this.clock();
    for (const [vm, root] of this.armedRoots()) {
      if (now - root.lastTick >= root.tickPeriodMs) vm.fireTick(root);
    }
  }

  fireTicks(): number {
    let n = 0;
    for (const [vm, root] of this.armedRoots()) if (vm.fireTick(root)) n++;
    return n;
  }

  metrics(): MetricValue[] {
    return this.metricStore.snapshot();
  }

  setLogLevel(level: LogLevelSetting): void {
    this.level = levelIndex(level);
  }

  failures(): Array<{ vm: string; message: string }> {
    return [...this.failureList];
  }

  hostCalls(vm?: string): HostCallRecord[] {
    if (vm !== undefined) return [...(this.calls.get(vm) ?? [])];
    return [...this.calls.values()].flat();
  }

  violations(): Violation[] {
    return [...this.violationList];
  }

  workerNames(): string[] {
    return this.workers.map((w) => w.vm.name);
  }

  memoryBytes(vm?: string): number {
    const worker = vm === undefined ? this.workers[0] : this.workers.find((w) => w.vm.name === vm);
    if (!worker) throw new Error(`no worker VM named ${vm}`);
    return worker.vm.memoryBytes();
  }

  pendingCallouts(): PendingCallout[] {
    return [...this.pending].map(({ info }) => ({
      ...info,
      headers: info.headers.map(([k, v]): [string, string] => [k, v]),
      body: info.body.slice(),
      trailers: info.trailers.map(([k, v]): [string, string] => [k, v]),
    }));
  }

  deliverCallout(token: number, response: CalloutResponse | 'reset' | 'timeout', vm?: string): CalloutDelivery {
    if (this.closed) throw new Error('plugin is closed');
    if (!this.manual) {
      throw new Error("deliverCallout: callouts go to the network (PluginOptions.callouts is not 'manual')");
    }
    const matches = [...this.pending].filter((e) => e.info.token === token && (vm === undefined || e.vm.name === vm));
    if (matches.length === 0) {
      throw new Error(`deliverCallout: no pending callout with token ${token}${vm === undefined ? '' : ` on ${vm}`}`);
    }
    if (matches.length > 1) {
      throw new Error(`deliverCallout: token ${token} is pending on ${matches.map((e) => e.vm.name).join(', ')}: name the vm`);
    }
    const entry = matches[0]!;
    const result = manualResult(response, this.options.headerEncoding ?? 'utf8');
    this.pending.delete(entry);
    const delivery: CalloutDelivery = { resumed: [], logs: [], violations: [] };
    const outer = this.delivery;
    const failedBefore = entry.vm.failed;
    this.delivery = delivery;
    try {
      entry.vm.deliverCallout(entry.root, entry.info.token, result);
    } finally {
      this.delivery = outer;
      entry.settle(result);
    }
    if (failedBefore === undefined && entry.vm.failed !== undefined) delivery.failure = entry.vm.failed;
    return delivery;
  }

  async settle(): Promise<void> {
    for (;;) {
      if (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      await this.env.process.settle();
      await new Promise<void>((r) => setImmediate(r));
      if (this.inflight.size === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.workers) w.vm.close();
    await this.settle();
  }
}

/** Loads the module, runs the canary, starts the workers. */
export async function startPlugin(options: PluginOptions): Promise<Plugin> {
  const bytes = typeof options.wasm === 'string' ? new Uint8Array(await readFile(options.wasm)) : options.wasm;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(new Uint8Array(bytes));
  } catch (e) {
    throw new ModuleRejectedError(`Failed to load Wasm bytecode: ${(e as Error).message}`, 'canary');
  }
  const plugin = new PluginImpl(module, options);
  plugin.start();
  return plugin;
}
