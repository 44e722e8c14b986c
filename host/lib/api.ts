// The contract between the proxy-wasm host (host/lib: vm.ts, abi/, plugin.ts) and its users:
// the runner (host/runner), the tests and the `routekey validate` command. Types only.
//
// A Plugin is one filter configuration loaded into N worker VMs of one module, the way Envoy
// loads it: a canary VM checks each configuration first, then every worker VM gets its own root
// context. Streams are spread over workers round-robin.

import type { HostProcess } from './process.ts';

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
/** A host log level: a LogLevelName, or 'off' (the guest reads 6 from proxy_get_log_level and
 *  every line is dropped, as in Envoy). */
export type LogLevelSetting = LogLevelName | 'off';
/** How HeaderList strings map to header bytes (host/lib/headers.ts): 'utf8' = text, encoded as UTF-8
 *  (non-UTF-8 guest bytes read back as U+FFFD); 'latin1' = byte strings, one char per byte, the
 *  form node:http uses, so bytes in = bytes out. */
export type HeaderEncoding = 'utf8' | 'latin1';
export type FailurePolicy = 'fail_closed' | 'fail_open' | 'fail_reload';
export type HeaderList = Array<[string, string]>;

export interface LogEntry {
  level: LogLevelName;
  message: string;
  /** Which VM wrote it: 'canary' or 'worker-<n>'. */
  vm: string;
}

/** Where `proxy_http_call` sends a request for a cluster name; undefined = unknown cluster. */
export type ClusterResolver = (cluster: string) => { host: string; port: number } | undefined;

/** How `proxy_http_call` reaches its cluster: 'network' sends a real HTTP/1.1 request to the
 *  address the ClusterResolver gives; 'manual' sends nothing and records the call until the test
 *  answers it (Plugin.pendingCallouts / Plugin.deliverCallout). */
export type CalloutMode = 'network' | 'manual';

export interface PluginOptions {
  /** The module bytes, or a path to the .wasm file. */
  wasm: Uint8Array | string;
  /** Envoy's root_id (Istio: pluginName). Answered as plugin_root_id. */
  rootId: string;
  /** Envoy's filter name (plugin_name); defaults to rootId. */
  name?: string;
  /** plugin_vm_id; Istio leaves it empty. */
  vmId?: string;
  /** The proxy process the plugin runs in (createHostProcess): plugins started with the same one
   *  share shared data and queues per vm_id, as every plugin of one vm_id in one Envoy does.
   *  Default: a private process of the plugin's own. */
  process?: HostProcess;
  /** The plugin configuration bytes (a StringValue arrives raw). Empty = size 0. */
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  /** Worker VMs, default 2. 0 = the canary only: the configuration is checked (what
   *  `routekey validate` does) and createStream throws. */
  workers?: number;
  /** Envoy's default is fail_closed. */
  failurePolicy?: FailurePolicy;
  /** The host log level the guest sees through proxy_get_log_level; default 'info'. */
  logLevel?: LogLevelSetting;
  /** Resolves callout cluster names. Network mode: without it every cluster is unknown
   *  (proxy_http_call → BadArgument). Manual mode: without it every cluster is known; with it,
   *  only the names it resolves (the address itself is not used). */
  clusters?: ClusterResolver;
  /** Default 'network'. 'manual': proxy_http_call validates its arguments exactly as in network
   *  mode (unknown cluster, missing :method/:path/:authority, negative timeout → BadArgument) and
   *  returns Ok with a token, but nothing is sent and no timeout runs: the call waits in
   *  Plugin.pendingCallouts() until Plugin.deliverCallout() answers it. settle() does not wait
   *  for manual callouts. */
  callouts?: CalloutMode;
  /** Called for every guest log line at or above the log level (besides being recorded). */
  onLog?: (entry: LogEntry) => void;
  /** Plugin-wide property answers for every context (e.g. 'node.id', 'xds.cluster_name'),
   *  keyed by dotted path. Stream properties given to createStream take precedence. */
  properties?: Record<string, string | number | Uint8Array>;
  /** Record every host call (Plugin.hostCalls); default true. Bounded per VM. The runner turns
   *  it off. */
  recordHostCalls?: boolean;
  /** How HeaderList strings map to header bytes; default 'utf8'. The runner uses 'latin1'. */
  headerEncoding?: HeaderEncoding;
  /** Milliseconds since the epoch, default Date.now. When given, the guest's clocks read it, tick
   *  periods are measured with it, and no real timers are armed: ticks fire only through
   *  Plugin.tick() / fireTicks() (deterministic tests). */
  clock?: () => number;
}

/** Thrown by startPlugin when Envoy would refuse the module itself (no ABI export, a missing
 *  import, no malloc, a trap during _initialize/_start). The message is Envoy's reason. */
export interface ModuleRejected extends Error {
  readonly name: 'ModuleRejectedError';
  /** The VM that refused it ('canary' or 'worker-<n>'). */
  readonly vm: string;
}

/** Thrown by Plugin.start / reconfigure when the canary refuses the configuration. */
export interface ConfigRejected extends Error {
  readonly name: 'ConfigRejectedError';
  /** The guest's log lines from the canary run (the reason is usually there). */
  readonly logs: LogEntry[];
}

export interface LocalReply {
  status: number;
  /** Envoy's response code details (whitespace replaced by '_', as Envoy does). */
  details: string;
  body: Uint8Array;
  headers: HeaderList;
  grpcStatus: number;
}

/** What a header callback left behind. */
export interface HeadersOutcome {
  /** continue: 0/2 returned; stop: 1/3/4 returned and not yet resumed; localReply: the guest sent
   *  one; failed: the VM failed (now or before, see Stream.failure) under fail_closed /
   *  fail_reload: localReply is Envoy's 503 wasm_fail_stream; skipped: the VM failed under
   *  fail_open: Envoy continues the stream (CHECK_FAIL_HTTP returns Continue) with the headers as
   *  they are, including changes the guest made before it trapped. */
  action: 'continue' | 'stop' | 'localReply' | 'failed' | 'skipped';
  /** The raw status the guest returned (undefined when it did not return). */
  status?: number;
  /** The header map as the filter left it (lower-cased keys, `:authority` not `host`). */
  headers: HeaderList;
  /** True when a request-header change would make Envoy re-pick the route (ABI <= 0.2.1). */
  routeCacheCleared: boolean;
  localReply?: LocalReply;
  /** The guest called proxy_close_stream: Envoy resets the stream. */
  streamReset?: boolean;
}

/** What a body callback left behind. */
export interface BodyOutcome {
  /** continue: 0 returned; stop: 1..3 returned (or a local reply); failed / skipped as for
   *  headers (skipped carries the body as it is). */
  action: 'continue' | 'stop' | 'failed' | 'skipped';
  status?: number;
  /** The body buffer as the filter left it (what Envoy passes on for this callback). */
  body?: Uint8Array;
  localReply?: LocalReply;
}

export interface Stream {
  readonly contextId: number;
  /** on_request_headers; headers are given as received (keys get lower-cased, host → :authority). */
  onRequestHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome;
  /** Resolves when a stopped request is resumed (proxy_continue_stream / a local reply). */
  whenRequestResumed(): Promise<HeadersOutcome>;
  onRequestBody(chunk: Uint8Array, endOfStream: boolean): BodyOutcome;
  onResponseHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome;
  onResponseBody(chunk: Uint8Array, endOfStream: boolean): BodyOutcome;
  /** on_log, on_done, on_delete (Envoy's order). */
  complete(): void;
  /** The trap message when this stream's VM failed during one of its callbacks. */
  readonly failure?: string;
}

export interface MetricValue {
  /** As Envoy stores it: `wasmcustom.<name>`. */
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter/gauge value; for histograms the number of samples. */
  value: number;
  /** Histogram samples (bounded list). */
  samples?: number[];
}

export interface Plugin {
  /** Guest log lines at or above the log level, oldest first: the last 10 000. */
  readonly logs: LogEntry[];
  /** Each new stream goes to the next worker VM. `properties` answer source.*, destination.*,
   *  connection.* etc., keyed by the dotted path ('source.address'). request.* and response.*
   *  come from the live header maps (request.path, host, method, scheme, id, useragent, referer,
   *  headers.<name>); a request.* given here overrides that (then a rewrite is not seen), so the
   *  runner passes none but request.protocol. Throws when the plugin has no worker VM
   *  (workers: 0) or is closed. */
  createStream(properties?: Record<string, string | number | Uint8Array>): Stream;
  /** Canary-checks the new configuration; on refusal throws ConfigRejected and keeps the old one. */
  reconfigure(configuration: string | Uint8Array): Promise<void>;
  /** Fires every worker's tick whose period has elapsed (the host also runs real timers). */
  tick(): void;
  metrics(): MetricValue[];
  setLogLevel(level: LogLevelSetting): void;
  /** Worker VMs that trapped, with the message. */
  failures(): Array<{ vm: string; message: string }>;
  close(): Promise<void>;

  // --- observers for tests (host/lib/plugin.ts) ---------------------------------------------------
  /** Every host call made by the guest (oldest first; bounded), optionally for one VM. */
  hostCalls(vm?: string): HostCallRecord[];
  /** Strict-mode findings: calls Envoy tolerates but that point at a guest bug (the last 10 000). */
  violations(): Violation[];
  /** Fires every armed tick now, whatever the elapsed time; returns how many fired. */
  fireTicks(): number;
  /** Resolves when no network callout is in flight and every queued on_queue_ready has run. */
  settle(): Promise<void>;
  /** Manual callout mode: the callouts made and not yet delivered, oldest first (a copy).
   *  Legal in any state; always empty in network mode. A callout leaves the list when it is
   *  delivered, or when Envoy would cancel it: its root context goes away (reconfigure), its VM
   *  fails, or the plugin is closed. */
  pendingCallouts(): PendingCallout[];
  /** Manual callout mode: answers a pending callout the way a network response is delivered:
   *  proxy_on_http_call_response(root, token, n_headers, body_size, n_trailers) on the ROOT
   *  context that made the call, with the headers (incl. :status) as map 6, the trailers as map
   *  7 and the body as buffer 4, all readable only inside that callback. 'reset' = the upstream
   *  reset the stream after the response started: n_headers 0, proxy_get_status
   *  BrokenConnection. 'timeout' = Envoy's 504 "upstream request timeout" (delivered whatever
   *  the call's timeoutMs). Synchronous: the guest callback (and any stream it resumes) has run
   *  when it returns. `vm` picks the VM when several workers have a callout with this token.
   *  Legal while the plugin is open, in manual mode, once per pending token; throws otherwise
   *  (unknown or already delivered/cancelled token, network mode, closed plugin, a bad status). */
  deliverCallout(token: number, response: CalloutResponse | 'reset' | 'timeout', vm?: string): CalloutDelivery;
  /** Names of the current worker VMs ('worker-1', …; a reloaded VM gets a new name). */
  workerNames(): string[];
  /** The size of a worker VM's linear memory in bytes (the first worker when none is named). */
  memoryBytes(vm?: string): number;
}

/** A manual-mode callout waiting for Plugin.deliverCallout. */
export interface PendingCallout {
  /** The VM that made it ('worker-<n>'); tokens are per VM. */
  vm: string;
  /** The token proxy_http_call returned. */
  token: number;
  cluster: string;
  /** The request headers as the host keeps them: keys lower-cased, pseudo-headers first;
   *  strings in PluginOptions.headerEncoding. */
  headers: HeaderList;
  body: Uint8Array;
  trailers: HeaderList;
  /** The timeout the guest gave; 0 = none. */
  timeoutMs: number;
  /** The context the call was made for (a stream context, or the root context itself). */
  contextId: number;
  /** The root context the response goes to. */
  rootContextId: number;
}

/** A response for Plugin.deliverCallout. */
export interface CalloutResponse {
  /** Sets :status (replacing one in `headers`); default: the :status in `headers`, else 200. */
  status?: number;
  /** Response headers as given (keys lower-cased; nothing added, e.g. no content-length). */
  headers?: HeaderList;
  /** A string is sent as UTF-8. */
  body?: Uint8Array | string;
  trailers?: HeaderList;
}

/** What the guest did while Plugin.deliverCallout ran. */
export interface CalloutDelivery {
  /** Paused requests that the delivery ended (the guest's proxy_set_effective_context +
   *  proxy_continue_stream, a local reply, proxy_close_stream, or the VM failing), with the
   *  outcome their Stream.whenRequestResumed() resolves with. */
  resumed: Array<{ contextId: number; outcome: HeadersOutcome }>;
  /** Guest log lines written during the delivery (at or above the log level). */
  logs: LogEntry[];
  /** Strict-mode findings raised during the delivery. */
  violations: Violation[];
  /** The trap message when the VM failed in the callback. */
  failure?: string;
}

export interface HostCallRecord {
  /** 'canary' or 'worker-<n>'. */
  vm: string;
  /** 'proxy_get_header_map_value', 'wasi_snapshot_preview1.fd_write', … */
  name: string;
  /** WasmResult (0 Ok, 1 NotFound, 2 BadArgument, …) or WASI errno; undefined for void calls. */
  result: number | undefined;
  /** The context the call acted for (after proxy_set_effective_context); 0 = the VM itself. */
  contextId: number;
  /** The guest callback that was running ('proxy_on_request_headers', '_initialize', 'malloc'). */
  callback: string | undefined;
}

export type ViolationKind =
  /** get_buffer_bytes past the end of the buffer (Envoy clamps silently). */
  | 'read-past-end'
  /** A header map / buffer / stream call outside the callback where it is available. */
  | 'wrong-phase'
  /** A guest pointer/size outside linear memory (InvalidMemoryAccess). */
  | 'invalid-memory'
  /** A host call Envoy forbids during _initialize/_start or inside malloc (traps). */
  | 'restricted'
  /** An out-of-range enum, malformed pairs, an unusable callout request, an unknown status, a
   *  second local reply in one stream (Envoy sends the first). */
  | 'bad-argument';

export interface Violation {
  vm: string;
  kind: ViolationKind;
  /** The host function (or 'proxy_on_request_headers' for a bad return value). */
  call: string;
  message: string;
  callback: string | undefined;
}
