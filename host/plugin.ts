// A filter configuration loaded the way Envoy loads it: a throw-away canary VM checks the
// configuration (on_vm_start + on_configure must both return true), then N worker VMs each get
// their own root context; streams go round-robin over the workers; a trapped worker is handled by
// the failure policy (fail_closed: 503 for everything, fail_open: bypass, fail_reload: new VM).

import { readFile } from 'node:fs/promises';
import type {
  ConfigRejected, FailurePolicy, HostCallRecord, LogEntry, LogLevelName, LogLevelSetting, MetricValue, Plugin,
  PluginOptions, Stream, Violation,
} from './api.ts';
import { LOG_LEVEL_OFF, LOG_LEVELS } from './abi/types.ts';
import { utf8 } from './abi/memory.ts';
import { sendCallout } from './callouts.ts';
import { MetricStore } from './metrics.ts';
import { sharedQueues } from './shared.ts';
import { StreamImpl } from './streams.ts';
import { ModuleRejectedError, type RootContext, type VmEnvironment, WasmVm } from './vm.ts';

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

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly options: PluginOptions,
  ) {
    this.configuration = bytesOf(options.configuration);
    this.level = levelIndex(options.logLevel ?? 'info');
    this.policy = options.failurePolicy ?? 'fail_closed';
    this.clock = options.clock ?? Date.now;
    const record = options.recordHostCalls ?? true;
    this.env = {
      plugin: { name: options.name ?? options.rootId, rootId: options.rootId, vmId: options.vmId ?? '' },
      vmConfiguration: bytesOf(options.vmConfiguration),
      pluginProperties: options.properties,
      metrics: this.metricStore,
      clusters: options.clusters,
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
      violation: (v) => pushBounded(this.violationList, v, MAX_KEPT),
      failed: (vm, message) => {
        if (vm.name !== 'canary') pushBounded(this.failureList, { vm: vm.name, message }, MAX_KEPT);
      },
      startCallout: (_vm, _root, _token, request) => {
        const callout = sendCallout(request);
        const tracked = callout.done.then(() => undefined);
        this.inflight.add(tracked);
        void tracked.finally(() => this.inflight.delete(tracked));
        return callout;
      },
    };
  }

  private log(vm: string, level: LogLevelName, message: string): void {
    const entry: LogEntry = { level, message, vm };
    this.captures.get(vm)?.push(entry);
    if (levelIndex(level) < this.level) return;
    pushBounded(this.logs, entry, MAX_KEPT);
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

  async settle(): Promise<void> {
    for (;;) {
      if (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
      await sharedQueues.settle();
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
