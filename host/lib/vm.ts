// One VM: a module instance with its contexts, the way proxy-wasm-cpp-host runs it for Envoy.
//
//   load → refuse (no ABI export, missing import, no malloc) → start (_initialize + main, or _start,
//   with only logging/clock/random/WASI allowed) → root contexts (create, vm_start, configure) →
//   stream contexts → callbacks. A trap anywhere marks the VM failed for good.

import type { ClusterResolver, HeadersOutcome, HostCallRecord, LogLevelName, Violation, ViolationKind } from './api.ts';
import { ABI_EXPORTS, type AbiVersion, WasmResult } from './abi/types.ts';
import { GuestMemory } from './abi/memory.ts';
import { type AbiAreas, buildImports, providedImports } from './abi/imports.ts';
import type { CalloutRequest, CalloutResult, InFlightCallout } from './callouts.ts';
import type { Context, RootContext, StreamContext, VmContext } from './contexts.ts';
import { HeaderMap, toByteString } from './headers.ts';
import { type MetricStore, VmMetrics } from './metrics.ts';
import type { HostProcess } from './process.ts';
import type { PropertyBag } from './properties.ts';
import type { QueueOwner } from './shared.ts';
import type { StreamState } from './stream-state.ts';

/** Thrown when Envoy would refuse to load the module at all. */
export class ModuleRejectedError extends Error {
  override readonly name = 'ModuleRejectedError';
  constructor(
    message: string,
    readonly vm: string,
  ) {
    super(message);
  }
}

/** Raised by a host function to trap the guest (e.g. a restricted call during start-up). */
export class HostTrap extends Error {
  override readonly name = 'HostTrap';
}

/** What a VM needs from its plugin. */
export interface VmEnvironment {
  plugin: { name: string; rootId: string; vmId: string };
  vmConfiguration: Uint8Array;
  pluginProperties?: PropertyBag;
  metrics: MetricStore;
  /** Owns the shared data and queues this VM's vm_id reaches. */
  process: HostProcess;
  clusters?: ClusterResolver;
  /** Milliseconds since the epoch: the guest's clocks and tick periods. */
  now(): number;
  /** Arm real timers for tick periods (false with an injected clock: ticks only on demand). */
  realTimers: boolean;
  logLevel(): number;
  log(vm: string, level: LogLevelName, message: string): void;
  hostCall(record: HostCallRecord): void;
  violation(v: Violation): void;
  failed(vm: WasmVm, message: string): void;
  /** Starts a callout (network: the plugin tracks it so tests can await it; manual: it is
   *  recorded until the test delivers it through WasmVm.deliverCallout). */
  startCallout(vm: WasmVm, root: RootContext, token: number, request: CalloutRequest, contextId: number): InFlightCallout;
  /** A paused request of one of the VM's streams ended (resumed, local reply, reset, failure). */
  requestSettled?(vm: WasmVm, contextId: number, outcome: HeadersOutcome): void;
}

/** Host calls allowed while _initialize/main/_start run (cpp-host's startVm list). */
const START_ALLOWED = new Set([
  'env.proxy_log',
  ...['fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'fd_prestat_get',
    'fd_prestat_dir_name', 'clock_time_get', 'random_get']
    .flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

/** Host calls allowed while the host is inside the guest's malloc. */
const MALLOC_ALLOWED = new Set([
  'env.proxy_log',
  ...['fd_write', 'clock_time_get'].flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

type Fn = (...args: Array<number | bigint>) => unknown;

function errorMessage(e: unknown): string {
  if (e instanceof Error) return e instanceof WebAssembly.RuntimeError || e instanceof HostTrap
    ? e.message
    : `${e.name}: ${e.message}`;
  return String(e);
}

export class WasmVm implements QueueOwner {
  readonly abi: AbiVersion;
  failed: string | undefined;
  closed = false;
  readonly metrics: VmMetrics;
  readonly contexts = new Map<number, Context>();
  readonly vmContext: VmContext = { kind: 'vm', id: 0 };

  private instance!: WebAssembly.Instance;
  private exportsMap!: Record<string, unknown>;
  private memory!: GuestMemory;
  private malloc!: Fn;
  private nextContextId = 1;
  private nextCalloutToken = 1;
  private current: Context | undefined;
  private effectiveId = 0;
  private callback: string | undefined;
  private restricted: Set<string> | undefined;
  private depth = 0;
  private afterCall: Array<() => void> = [];

  private constructor(
    readonly name: string,
    readonly env: VmEnvironment,
    abi: AbiVersion,
  ) {
    this.abi = abi;
    this.metrics = new VmMetrics(env.metrics);
  }

  /** Loads and starts one VM; throws ModuleRejectedError with Envoy's reason when it would. */
  static load(module: WebAssembly.Module, name: string, env: VmEnvironment): WasmVm {
    const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    const abi = ABI_EXPORTS.find(([exp]) => exportNames.has(exp))?.[1];
    if (!abi) throw new ModuleRejectedError('Missing or unknown Proxy-Wasm ABI version', name);
    const provided = providedImports(abi);
    for (const imp of WebAssembly.Module.imports(module)) {
      const full = `${imp.module}.${imp.name}`;
      if (imp.kind !== 'function' || !provided.has(full)) {
        throw new ModuleRejectedError(`Failed to load Wasm module due to a missing import: ${full}`, name);
      }
    }
    const vm = new WasmVm(name, env, abi);
    vm.restricted = START_ALLOWED;
    vm.callback = 'start';
    try {
      vm.instance = new WebAssembly.Instance(module, buildImports(vm, vm.abiAreas()) as WebAssembly.Imports);
    } catch (e) {
      throw new ModuleRejectedError(`Failed to load Wasm bytecode: ${errorMessage(e)}`, name);
    } finally {
      vm.restricted = undefined;
      vm.callback = undefined;
    }
    vm.bind(vm.instance);
    vm.start();
    if (vm.failed) throw new ModuleRejectedError(vm.failed, name);
    return vm;
  }

  /**
   * A VM whose module the caller instantiates: not a proxy-wasm module (no ABI export, imports of
   * its own, no start-up or callbacks run), given the same host functions as a loaded one. The
   * unit host (unit-host.ts) merges `imports` into the module's own and calls bind() once the
   * instance exists; until then a host call traps (no memory).
   */
  static detached(name: string, env: VmEnvironment, abi: AbiVersion): { vm: WasmVm; imports: Record<string, Record<string, Fn>> } {
    const vm = new WasmVm(name, env, abi);
    return { vm, imports: buildImports(vm, vm.abiAreas()) as Record<string, Record<string, Fn>> };
  }

  /** Binds the host functions to the instance's memory and malloc (Envoy's refusals if missing). */
  bind(instance: WebAssembly.Instance): void {
    this.instance = instance;
    this.exportsMap = instance.exports as Record<string, unknown>;
    const mem = this.exportsMap['memory'];
    if (!(mem instanceof WebAssembly.Memory)) {
      throw new ModuleRejectedError('Wasm module is missing its memory export', this.name);
    }
    const malloc = this.exportsMap['malloc'] ?? this.exportsMap['proxy_on_memory_allocate'];
    if (typeof malloc !== 'function') {
      throw new ModuleRejectedError('Wasm module is missing malloc function.', this.name);
    }
    this.malloc = malloc as Fn;
    this.memory = new GuestMemory(mem, (size) => this.allocate(size));
  }

  /**
   * Host calls from now on act as if made inside `callback` of `ctx` (undefined: outside any
   * callback, in the VM context). For a detached VM, whose guest code runs without the host
   * calling it; call() sets the same state for the duration of a guest call.
   */
  enter(ctx: Context | undefined, callback: string | undefined): void {
    this.current = ctx;
    this.effectiveId = 0;
    this.callback = callback;
  }

  private start(): void {
    const run = (fn: string, args: number[]): void => {
      this.call(this.vmContext, fn, args, START_ALLOWED);
    };
    if (this.hasExport('_initialize')) {
      run('_initialize', []);
      if (!this.failed && this.hasExport('main')) run('main', [0, 0]);
    } else if (this.hasExport('_start')) {
      run('_start', []);
    }
  }

  hasExport(name: string): boolean {
    return typeof this.exportsMap[name] === 'function';
  }

  // --- what host functions use -------------------------------------------------------------

  get mem(): GuestMemory {
    if (!this.memory) throw new HostTrap('host call before the module memory exists');
    return this.memory;
  }

  /** The context a host call acts on: the effective context if set and alive, else the caller's. */
  context(): Context {
    if (this.effectiveId !== 0) {
      const eff = this.contexts.get(this.effectiveId);
      if (eff) return eff;
    }
    return this.current ?? this.vmContext;
  }

  setEffectiveContext(id: number): WasmResult {
    if (id !== 0 && !this.contexts.has(id)) return WasmResult.BadArgument;
    this.effectiveId = id;
    return WasmResult.Ok;
  }

  /** What each ABI area of the import table reaches (abi/imports.ts). */
  private abiAreas(): AbiAreas {
    const env = this.env;
    return {
      buffers: { vmConfiguration: env.vmConfiguration },
      properties: { plugin: env.plugin, pluginProperties: env.pluginProperties },
      streams: { setEffectiveContext: (id) => this.setEffectiveContext(id) },
      shared: {
        vmId: toByteString(env.plugin.vmId, 'utf8'),
        data: env.process.sharedData,
        queues: env.process.sharedQueues,
        owner: this,
      },
      callouts: { clusters: env.clusters, startCallout: (root, request) => this.startCallout(root, request) },
      metrics: this.metrics,
      timers: { nowNanoseconds: () => this.nowNanoseconds(), setTickPeriod: (root, ms) => this.setTickPeriod(root, ms) },
      logging: { logLevel: () => env.logLevel() },
    };
  }

  /** Throws a trap when the call is not allowed right now (start-up / inside malloc). */
  checkAllowed(fullName: string): void {
    if (this.restricted && !this.restricted.has(fullName)) {
      this.violation('restricted', fullName, `${fullName} is not allowed during ${this.callback ?? 'start-up'}`);
      throw new HostTrap('restricted_callback');
    }
  }

  recordCall(name: string, result: number | undefined): void {
    this.env.hostCall({ vm: this.name, name, result, contextId: this.context().id, callback: this.callback });
  }

  violation(kind: ViolationKind, call: string, message: string): void {
    this.env.violation({ vm: this.name, kind, call, message, callback: this.callback });
  }

  /** Runs after the outermost guest call returns (Envoy's "after VM call actions"). */
  deferAfterCall(action: () => void): void {
    if (this.depth === 0) action();
    else this.afterCall.push(action);
  }

  get currentCallback(): string | undefined {
    return this.callback;
  }

  log(level: LogLevelName, message: string): void {
    this.env.log(this.name, level, message);
  }

  /** The guest's realtime clock (Envoy's getCurrentTimeNanoseconds). */
  nowNanoseconds(): bigint {
    return BigInt(Math.round(this.env.now())) * 1_000_000n;
  }

  /** The guest's monotonic clock (the injected clock when there is one). */
  monotonicNanoseconds(): bigint {
    return this.env.realTimers ? process.hrtime.bigint() : this.nowNanoseconds();
  }

  private allocate(size: number): number {
    const saved = this.restricted;
    const savedCallback = this.callback;
    this.restricted = MALLOC_ALLOWED;
    this.callback = 'malloc';
    try {
      return Number(this.malloc(size)) >>> 0;
    } finally {
      this.restricted = saved;
      this.callback = savedCallback;
    }
  }

  // --- calling into the guest ----------------------------------------------------------------

  /**
   * Calls a guest export for a context. Returns its i32 result (unsigned), undefined when the
   * export is missing or the VM is (or just got) failed: check `vm.failed` to tell them apart.
   */
  call(ctx: Context, fn: string, args: number[], restricted?: Set<string>): number | undefined {
    if (this.failed || this.closed) return undefined;
    const f = this.exportsMap[fn];
    if (typeof f !== 'function') return undefined;
    const saved = { current: this.current, effectiveId: this.effectiveId, callback: this.callback, restricted: this.restricted };
    this.current = ctx;
    this.effectiveId = 0;
    this.callback = fn;
    this.restricted = restricted;
    this.depth++;
    let result: number | undefined;
    try {
      const r = (f as Fn)(...args);
      result = typeof r === 'number' ? r >>> 0 : typeof r === 'bigint' ? Number(BigInt.asUintN(32, r)) : 0;
    } catch (e) {
      this.fail(`Function: ${fn} failed: ${errorMessage(e)}`);
      result = undefined;
    } finally {
      this.depth--;
      this.current = saved.current;
      this.effectiveId = saved.effectiveId;
      this.callback = saved.callback;
      this.restricted = saved.restricted;
    }
    if (this.depth === 0) {
      const actions = this.afterCall;
      this.afterCall = [];
      if (!this.failed) for (const a of actions) a();
    }
    return result;
  }

  fail(message: string): void {
    if (this.failed) return;
    this.failed = message;
    for (const ctx of this.contexts.values()) {
      if (ctx.kind === 'root') this.stopRoot(ctx);
    }
    this.env.failed(this, message);
    for (const ctx of [...this.contexts.values()]) {
      if (ctx.kind === 'stream') ctx.state.events.vmFailed(message);
    }
  }

  isAlive(): boolean {
    return !this.failed && !this.closed;
  }

  // --- contexts -------------------------------------------------------------------------------

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  /**
   * Creates a root context: on_context_create(id, 0), on_vm_start, on_configure. ok=false when
   * either returned 0 or the VM trapped.
   */
  startRoot(rootId: string, configuration: Uint8Array): { root: RootContext; ok: boolean } {
    const root = this.newRootContext(rootId, configuration);
    this.call(root, 'proxy_on_context_create', [root.id, 0]);
    if (this.failed) return { root, ok: false };
    root.configuring = true;
    try {
      const started = this.call(root, 'proxy_on_vm_start', [root.id, this.env.vmConfiguration.length]);
      if (this.failed || started === 0) return { root, ok: false };
      const configured = this.call(root, 'proxy_on_configure', [root.id, configuration.length]);
      if (this.failed || configured === 0) return { root, ok: false };
    } finally {
      root.configuring = false;
    }
    return { root, ok: true };
  }

  /** A root context the VM knows, before any callback of it has run. */
  newRootContext(rootId: string, configuration: Uint8Array): RootContext {
    const root: RootContext = {
      kind: 'root', id: this.allocContextId(), rootId, configuration, configuring: false,
      tickPeriodMs: 0, lastTick: this.env.now(), callouts: new Map(), status: { code: 0, message: '' }, alive: true,
    };
    this.contexts.set(root.id, root);
    return root;
  }

  /** on_done then on_delete for a root context that is being replaced or shut down. */
  shutdownRoot(root: RootContext): void {
    this.stopRoot(root);
    if (!this.failed) {
      this.call(root, 'proxy_on_done', [root.id]);
      this.call(root, 'proxy_on_delete', [root.id]);
    }
    this.contexts.delete(root.id);
  }

  private stopRoot(root: RootContext): void {
    root.alive = false;
    if (root.timer) clearInterval(root.timer);
    root.timer = undefined;
    for (const c of root.callouts.values()) c.abort();
    root.callouts.clear();
  }

  newStreamContext(root: RootContext, state: StreamState): StreamContext {
    const ctx: StreamContext = { kind: 'stream', id: this.allocContextId(), root, state };
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  removeContext(id: number): void {
    this.contexts.delete(id);
  }

  // --- ticks ----------------------------------------------------------------------------------

  setTickPeriod(root: RootContext, ms: number): void {
    if (root.timer) clearInterval(root.timer);
    root.timer = undefined;
    root.tickPeriodMs = ms;
    root.lastTick = this.env.now();
    if (ms > 0 && root.alive && this.isAlive() && this.env.realTimers) {
      root.timer = setInterval(() => this.fireTick(root), ms);
      root.timer.unref();
    }
  }

  fireTick(root: RootContext): boolean {
    if (!this.isAlive() || !root.alive || root.tickPeriodMs <= 0) return false;
    root.lastTick = this.env.now();
    this.call(root, 'proxy_on_tick', [root.id]);
    return true;
  }

  roots(): RootContext[] {
    return [...this.contexts.values()].filter((c): c is RootContext => c.kind === 'root');
  }

  // --- callouts, queues -----------------------------------------------------------------------

  startCallout(root: RootContext, request: CalloutRequest): number {
    const token = this.nextCalloutToken++;
    const inflight = this.env.startCallout(this, root, token, request, this.context().id);
    root.callouts.set(token, inflight);
    void inflight.done.then((result) => this.deliverCallout(root, token, result));
    return token;
  }

  /**
   * Delivers a callout's result to its root context: proxy_on_http_call_response with map 6/7 and
   * buffer 4 available inside it (a reset: n_headers 0, status BrokenConnection). The one delivery
   * path for network results (when `done` settles) and manual ones (Plugin.deliverCallout, which
   * calls it directly). A token is delivered at most once; false when nothing ran (unknown or
   * already delivered token, aborted, root context or VM gone).
   */
  deliverCallout(root: RootContext, token: number, result: CalloutResult): boolean {
    if (!root.callouts.delete(token)) return false;
    if (result.kind === 'aborted' || !root.alive || !this.isAlive()) return false;
    if (result.kind === 'reset') {
      root.status = { code: WasmResult.BrokenConnection, message: 'reset' };
      try {
        this.call(root, 'proxy_on_http_call_response', [root.id, token, 0, 0, 0]);
      } finally {
        root.status = { code: 0, message: '' };
      }
      return true;
    }
    root.httpCallResponse = {
      headers: HeaderMap.fromPairs(result.headers),
      trailers: HeaderMap.fromPairs(result.trailers),
      body: result.body,
    };
    try {
      this.call(root, 'proxy_on_http_call_response',
        [root.id, token, result.headers.length, result.body.length, result.trailers.length]);
    } finally {
      root.httpCallResponse = undefined;
    }
    return true;
  }

  queueReady(contextId: number, token: number): void {
    const ctx = this.contexts.get(contextId);
    if (!ctx || ctx.kind === 'vm') return;
    this.call(ctx, 'proxy_on_queue_ready', [ctx.id, token]);
  }

  /** The guest's linear memory size in bytes. */
  memoryBytes(): number {
    return this.memory.byteLength;
  }

  /** Shuts the VM down: root contexts get on_done/on_delete, timers and callouts stop. */
  close(): void {
    if (this.closed) return;
    for (const root of this.roots()) this.shutdownRoot(root);
    this.closed = true;
  }
}
