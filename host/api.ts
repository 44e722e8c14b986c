// The contract between the proxy-wasm host (host/vm, host/abi, host/plugin) and its users:
// the runner (host/runner), the tests and the `routekey validate` command. Types only.
//
// A Plugin is one filter configuration loaded into N worker VMs of one module, the way Envoy
// loads it: a canary VM checks each configuration first, then every worker VM gets its own root
// context. Streams are spread over workers round-robin.

export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'critical';
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

export interface PluginOptions {
  /** The module bytes, or a path to the .wasm file. */
  wasm: Uint8Array | string;
  /** Envoy's root_id (Istio: pluginName). Answered as plugin_root_id. */
  rootId: string;
  /** Envoy's filter name (plugin_name); defaults to rootId. */
  name?: string;
  /** plugin_vm_id; Istio leaves it empty. */
  vmId?: string;
  /** The plugin configuration bytes (a StringValue arrives raw). Empty = size 0. */
  configuration?: string | Uint8Array;
  vmConfiguration?: string | Uint8Array;
  /** Worker VMs, default 2. */
  workers?: number;
  /** Envoy's default is fail_closed. */
  failurePolicy?: FailurePolicy;
  /** The host log level the guest sees through proxy_get_log_level; default 'info'. */
  logLevel?: LogLevelName;
  clusters?: ClusterResolver;
  /** Called for every guest log line at or above the log level (besides being recorded). */
  onLog?: (entry: LogEntry) => void;
}

/** Thrown by Plugin.start / reconfigure when the canary refuses the configuration. */
export interface ConfigRejected extends Error {
  readonly name: 'ConfigRejectedError';
  /** The guest's log lines from the canary run (the reason is usually there). */
  readonly logs: LogEntry[];
}

export interface LocalReply {
  status: number;
  details: string;
  body: Uint8Array;
  headers: HeaderList;
  grpcStatus: number;
}

/** What a header callback left behind. */
export interface HeadersOutcome {
  /** continue: 0/2 returned; stop: 1/3/4 returned and not yet resumed; localReply: the guest sent
   *  one; failed: the VM trapped (see Stream.failure) and the failure policy applies;
   *  skipped: fail-open after a failed VM, the filter was bypassed. */
  action: 'continue' | 'stop' | 'localReply' | 'failed' | 'skipped';
  /** The raw status the guest returned (undefined when it did not return). */
  status?: number;
  /** The header map as the filter left it (lower-cased keys, `:authority` not `host`). */
  headers: HeaderList;
  /** True when a request-header change would make Envoy re-pick the route (ABI <= 0.2.1). */
  routeCacheCleared: boolean;
  localReply?: LocalReply;
}

export interface Stream {
  readonly contextId: number;
  /** on_request_headers; headers are given as received (keys get lower-cased, host → :authority). */
  onRequestHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome;
  /** Resolves when a stopped request is resumed (proxy_continue_stream / a local reply). */
  whenRequestResumed(): Promise<HeadersOutcome>;
  onRequestBody(chunk: Uint8Array, endOfStream: boolean): { action: 'continue' | 'stop' | 'failed' | 'skipped' };
  onResponseHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome;
  onResponseBody(chunk: Uint8Array, endOfStream: boolean): { action: 'continue' | 'stop' | 'failed' | 'skipped' };
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
  readonly logs: LogEntry[];
  /** Each new stream goes to the next worker VM. `properties` answer request.*, source.* etc.,
   *  keyed by the dotted path ('request.path', 'source.address'). */
  createStream(properties?: Record<string, string | number | Uint8Array>): Stream;
  /** Canary-checks the new configuration; on refusal throws ConfigRejected and keeps the old one. */
  reconfigure(configuration: string | Uint8Array): Promise<void>;
  /** Fires every worker's tick whose period has elapsed (the host also runs real timers). */
  tick(): void;
  metrics(): MetricValue[];
  setLogLevel(level: LogLevelName): void;
  /** Worker VMs that trapped, with the message. */
  failures(): Array<{ vm: string; message: string }>;
  close(): Promise<void>;
}
