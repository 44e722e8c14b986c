// The host functions of one VM for a module that is NOT a proxy-wasm filter: a unit-test binary
// (as-pect's) that calls the filter's own code directly, which calls env.proxy_* as it would
// inside Envoy. The functions are the real VM's (a detached WasmVm, vm.ts, with the same ABI
// areas, header maps, metrics and recorder); what no guest callback sets up here, the test does:
// one root context and one stream context, and which callback host calls happen "inside"
// (enter()), with the header windows, body buffers and on_log rules of that callback.
//
//   const host = createUnitHost();
//   const { instance } = await instantiate(binary, { ...ownImports, ...host.importsFor(module) });
//   host.bind(instance);                       // the module's memory and malloc export
//   host.enter('proxy_on_request_headers');    // stream 2, request header window open

import type { HeaderEncoding, HeaderList, HostCallRecord, LocalReply, LogEntry, LogLevelSetting, MetricValue, Violation } from './api.ts';
import { utf8 } from './abi/memory.ts';
import { type AbiVersion, StreamType, WasmResult } from './abi/types.ts';
import type { RootContext, StreamContext } from './contexts.ts';
import { HeaderMap, listFromBytes, listToBytes } from './headers.ts';
import { ManualCallouts } from './manual-callouts.ts';
import { MetricStore } from './metrics.ts';
import { createHostProcess } from './process.ts';
import type { PropertyBag } from './properties.ts';
import { Recorder } from './recorder.ts';
import { type Side, StreamState } from './stream-state.ts';
import { ModuleRejectedError, WasmVm } from './vm.ts';

export interface UnitHostOptions {
  /** The ABI version the host functions follow (default 0.2.1, routekey's). */
  abi?: AbiVersion;
  rootId?: string;
  /** The plugin configuration (readable inside proxy_on_configure). */
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  /** Property answers for both contexts, keyed by dotted path. */
  properties?: PropertyBag;
  logLevel?: LogLevelSetting;
  /** How header strings of this API cross (default utf8, as PluginOptions.headerEncoding). */
  headerEncoding?: HeaderEncoding;
  clock?: () => number;
}

/** The callbacks a test can put host calls inside (undefined: outside any, the VM context). */
export type UnitCallback =
  | 'proxy_on_vm_start' | 'proxy_on_configure' | 'proxy_on_tick'
  | 'proxy_on_request_headers' | 'proxy_on_request_body'
  | 'proxy_on_response_headers' | 'proxy_on_response_body' | 'proxy_on_log';

const ROOT_CALLBACKS = new Set<UnitCallback | undefined>(['proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_tick']);

function bytesOf(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  return typeof v === 'string' ? utf8(v) : v;
}

export class UnitHost {
  readonly root: RootContext;
  readonly stream: StreamContext;
  readonly logs: LogEntry[];
  /** The stream sides the guest continued with proxy_continue_stream, in order. */
  readonly continued: Side[] = [];
  private readonly vm: WasmVm;
  private readonly env: Record<string, Record<string, (...args: Array<number | bigint>) => unknown>>;
  private readonly recorder: Recorder;
  private readonly metricStore = new MetricStore();
  private readonly encoding: HeaderEncoding;
  private readonly state: StreamState;
  private callback: UnitCallback | undefined;

  constructor(options: UnitHostOptions = {}) {
    const recorder = (this.recorder = new Recorder({ logLevel: options.logLevel ?? 'trace' }));
    this.logs = recorder.logs;
    this.encoding = options.headerEncoding ?? 'utf8';
    const manual = new ManualCallouts(this.encoding, recorder);
    const rootId = options.rootId ?? 'unit';
    const { vm, imports } = WasmVm.detached('unit', {
      plugin: { name: rootId, rootId, vmId: '' },
      vmConfiguration: bytesOf(options.vmConfiguration),
      pluginProperties: options.properties,
      metrics: this.metricStore,
      process: createHostProcess(),
      // Every cluster is known and no callout leaves: a unit test has no network.
      clusters: () => ({ host: '', port: 0 }),
      now: options.clock ?? Date.now,
      realTimers: false,
      ...recorder.vmSinks(),
      startCallout: (v, root, token, request, contextId) => manual.record(v, root, token, request, contextId),
    }, options.abi ?? '0.2.1');
    this.vm = vm;
    this.env = imports;
    this.root = vm.newRootContext(rootId, bytesOf(options.configuration));
    this.state = new StreamState(options.properties ?? {}, {
      continueStream: (type) => {
        this.continued.push(type === StreamType.Request ? 'request' : 'response');
        return WasmResult.Ok;
      },
      // Envoy ends the callback after the VM call returns; the unit host has no such call, so
      // the windows stay as they are until the test enters another callback.
      closeStream: () => {
        this.state.streamReset = true;
        return WasmResult.Ok;
      },
      sendLocalReply: (reply) => {
        this.state.localReply = { ...reply, headers: listFromBytes(reply.headers, this.encoding) };
      },
      vmFailed: () => undefined,
    });
    this.state.request.headers = new HeaderMap();
    this.state.response.headers = new HeaderMap();
    this.stream = vm.newStreamContext(this.root, this.state);
  }

  /**
   * The env.proxy_* functions `module` imports, to merge into its own imports (nothing else: the
   * module's other env functions stay the test runner's). Throws ModuleRejectedError, as the real
   * VM would, for a proxy_* import this ABI version does not provide.
   */
  importsFor(module: WebAssembly.Module): { env: Record<string, (...args: Array<number | bigint>) => unknown> } {
    const env: Record<string, (...args: Array<number | bigint>) => unknown> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== 'env' || !imp.name.startsWith('proxy_')) continue;
      const fn = this.env['env']?.[imp.name];
      if (imp.kind !== 'function' || !fn) {
        throw new ModuleRejectedError(`Failed to load Wasm module due to a missing import: env.${imp.name}`, 'unit');
      }
      env[imp.name] = fn;
    }
    return { env };
  }

  /** Binds the host functions to the instance's `memory` and `malloc` exports. */
  bind(instance: WebAssembly.Instance): void {
    this.vm.bind(instance);
  }

  /**
   * Host calls from now on happen inside `callback`: of the stream context for stream callbacks
   * (request headers: request window open; response headers: response window open, request closed;
   * a body callback: that body readable; on_log: both maps read-only), of the root context for
   * root ones (vm_start/configure: the plugin configuration readable).
   */
  enter(callback: UnitCallback | undefined): void {
    const s = this.state;
    s.accessLog = callback === 'proxy_on_log';
    s.request.window = callback === 'proxy_on_request_headers';
    s.response.window = callback === 'proxy_on_response_headers';
    s.request.bodyOpen = callback === 'proxy_on_request_body';
    s.response.bodyOpen = callback === 'proxy_on_response_body';
    this.root.configuring = callback === 'proxy_on_vm_start' || callback === 'proxy_on_configure';
    this.callback = callback;
    this.vm.enter(callback === undefined ? undefined : ROOT_CALLBACKS.has(callback) ? this.root : this.stream, callback);
  }

  get currentCallback(): UnitCallback | undefined {
    return this.callback;
  }

  /** Replaces a side's header map with headers as received (keys lower-cased, Host → :authority). */
  setHeaders(side: Side, headers: HeaderList): void {
    this.state[side].headers = HeaderMap.fromReceived(listToBytes(headers, this.encoding));
  }

  /** A side's header map as it is now, in this host's header encoding. */
  headers(side: Side): HeaderList {
    return listFromBytes(this.state[side].headers?.toList() ?? [], this.encoding);
  }

  get localReply(): LocalReply | undefined {
    return this.state.localReply;
  }

  get routeCacheCleared(): boolean {
    return this.state.routeCacheCleared;
  }

  metrics(): MetricValue[] {
    return this.metricStore.snapshot();
  }

  hostCalls(): HostCallRecord[] {
    return this.recorder.hostCalls();
  }

  violations(): Violation[] {
    return this.recorder.violations();
  }
}

export function createUnitHost(options: UnitHostOptions = {}): UnitHost {
  return new UnitHost(options);
}
