// One HTTP stream through the filter, driven the way Envoy's wasm filter drives a stream context:
//
//   on_context_create (lazily, at the first callback) → on_request_headers → on_request_body …
//   → on_response_headers → on_response_body … → on_log → on_done → on_delete
//
// Header maps have availability windows: request headers are readable/writable inside
// on_request_headers and while the request stays paused from it; once it continues (return 0/2 or
// proxy_continue_stream) they are gone (get/replace → BadArgument, get_pairs → empty). In on_log
// both header maps are readable, not writable.
//
// A failed VM (a trap now or earlier) is handled like cpp-host's CHECK_FAIL_HTTP: under fail_open
// the callback answers Continue and the stream goes on with its headers/body as they are
// ('skipped'); otherwise Envoy's 503 wasm_fail_stream reply ('failed').

import type {
  BodyOutcome, FailurePolicy, HeaderEncoding, HeaderList, HeadersOutcome, LocalReply, Stream,
} from './api.ts';
import { GRPC_UNAVAILABLE, StreamType, WasmResult } from './abi/types.ts';
import type { RootContext, StreamContext } from './contexts.ts';
import { HeaderMap, listFromBytes, listToBytes } from './headers.ts';
import type { PropertyBag } from './properties.ts';
import { type Direction, type Side, StreamState } from './stream-state.ts';
import type { WasmVm } from './vm.ts';

/** The reply Envoy sends when the wasm VM failed (fail-closed): Context::failStream. */
export function failStreamReply(): LocalReply {
  return { status: 503, details: 'wasm_fail_stream', body: new Uint8Array(0), headers: [], grpcStatus: GRPC_UNAVAILABLE };
}

type Mode = 'active' | 'failClosed' | 'skipped';

function headersAction(status: number): 'continue' | 'stop' {
  return status === 0 || status === 2 ? 'continue' : 'stop';
}

export class StreamImpl implements Stream {
  readonly contextId: number;
  failure?: string;
  private readonly state: StreamState;
  private readonly ctx?: StreamContext;
  private mode: Mode;
  private created = false;
  private completed = false;
  /** Which of this stream's callbacks is running (to tell own-callback calls from later ones). */
  private running: `${Side}_${'headers' | 'body'}` | undefined;
  private requestStatus?: number;
  private lastRequest?: HeadersOutcome;
  private waiters: Array<(o: HeadersOutcome) => void> = [];

  constructor(
    private readonly vm: WasmVm,
    root: RootContext,
    private readonly policy: FailurePolicy,
    properties: PropertyBag,
    private readonly encoding: HeaderEncoding,
  ) {
    this.state = new StreamState(properties, {
      continueStream: (t) => this.continueStream(t),
      closeStream: () => this.closeStream(),
      sendLocalReply: (r) => this.sendLocalReply(r),
      vmFailed: (m) => this.vmFailed(m),
    });
    if (vm.failed || vm.closed) {
      this.mode = this.failedMode();
      this.contextId = 0;
    } else {
      this.mode = 'active';
      this.ctx = vm.newStreamContext(root, this.state);
      this.contextId = this.ctx.id;
    }
  }

  // --- driving --------------------------------------------------------------------------------

  onRequestHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome {
    if (this.state.request.headers) throw new Error('onRequestHeaders called twice on one stream');
    const outcome = this.onHeaders(this.state.request, headers, endOfStream);
    return (this.lastRequest = outcome);
  }

  whenRequestResumed(): Promise<HeadersOutcome> {
    if (this.state.request.paused) return new Promise((resolve) => this.waiters.push(resolve));
    return Promise.resolve(this.lastRequest ?? this.outcome(this.state.request, 'continue'));
  }

  onRequestBody(chunk: Uint8Array, endOfStream: boolean): BodyOutcome {
    return this.body(this.state.request, chunk, endOfStream);
  }

  onResponseHeaders(headers: HeaderList, endOfStream: boolean): HeadersOutcome {
    this.state.request.window = false;
    return this.onHeaders(this.state.response, headers, endOfStream);
  }

  onResponseBody(chunk: Uint8Array, endOfStream: boolean): BodyOutcome {
    return this.body(this.state.response, chunk, endOfStream);
  }

  complete(): void {
    if (this.completed) return;
    this.completed = true;
    const ctx = this.ctx;
    if (!ctx) return;
    if (this.created && !this.vm.failed) {
      const s = this.state;
      s.closeWindows();
      s.request.bodyOpen = s.response.bodyOpen = false;
      s.accessLog = true;
      try {
        this.vm.call(ctx, 'proxy_on_log', [ctx.id]);
      } finally {
        s.accessLog = false;
      }
      this.captureFailure();
      this.vm.call(ctx, 'proxy_on_done', [ctx.id]);
      this.vm.call(ctx, 'proxy_on_delete', [ctx.id]);
      this.captureFailure();
    }
    this.vm.removeContext(ctx.id);
  }

  // --- internals ------------------------------------------------------------------------------

  /** One direction's headers callback: the map arrives, its window opens while the guest runs. */
  private onHeaders(d: Direction, headers: HeaderList, endOfStream: boolean): HeadersOutcome {
    const map = HeaderMap.fromReceived(listToBytes(headers, this.encoding));
    d.headers = map;
    const early = this.inactive(d);
    if (early) return early;
    d.window = true;
    // A reply sent before (on the request side) runs through the response side like any response.
    const hadReply = this.state.localReply !== undefined;
    const status = this.run(`${d.side}_headers`, `proxy_on_${d.side}_headers`, [map.size, endOfStream ? 1 : 0]);
    if (status === 'failed') return this.failedOutcome(d);
    if (d === this.state.request) this.requestStatus = status;
    return this.afterHeaders(d, status, hadReply);
  }

  private failedMode(): Mode {
    return this.policy === 'fail_open' ? 'skipped' : 'failClosed';
  }

  /** Outcome when the filter does not run (its VM failed before): skipped or 503. */
  private inactive(which: Direction): HeadersOutcome | undefined {
    if (this.mode === 'active' && this.vm.failed) this.mode = this.failedMode();
    if (this.mode === 'skipped') return this.outcome(which, 'skipped');
    if (this.mode === 'failClosed') {
      this.state.localReply = failStreamReply();
      return this.outcome(which, 'failed');
    }
    return undefined;
  }

  private ensureCreated(): boolean {
    if (this.created) return true;
    this.created = true;
    const ctx = this.ctx!;
    this.vm.call(ctx, 'proxy_on_context_create', [ctx.id, ctx.root.id]);
    return !this.captureFailure();
  }

  /** Runs one of this stream's callbacks; 'failed' when the VM trapped. */
  private run(which: NonNullable<StreamImpl['running']>, fn: string, args: number[]): number | 'failed' {
    if (!this.ensureCreated()) return 'failed';
    const ctx = this.ctx!;
    this.running = which;
    let status: number | undefined;
    try {
      status = this.vm.call(ctx, fn, [ctx.id, ...args]);
    } finally {
      this.running = undefined;
    }
    if (this.captureFailure()) return 'failed';
    return status ?? 0;
  }

  /** Records a trap that happened during this stream's callback; true if the VM is failed. */
  private captureFailure(): boolean {
    if (!this.vm.failed) return false;
    this.failure ??= this.vm.failed;
    this.mode = this.failedMode();
    return true;
  }

  /** The VM trapped in this stream's header callback: CHECK_FAIL_HTTP. */
  private failedOutcome(which: Direction): HeadersOutcome {
    this.state.closeWindows();
    if (this.policy === 'fail_open') return this.outcome(which, 'skipped');
    this.state.localReply = failStreamReply();
    return this.outcome(which, 'failed');
  }

  private afterHeaders(which: Direction, status: number, hadReply = false): HeadersOutcome {
    if (status > 4) {
      this.vm.violation('bad-argument', `proxy_on_${which.side}_headers`, `unknown FilterHeadersStatus ${status}`);
    }
    const s = this.state;
    if ((s.localReply && !hadReply) || s.streamReset) {
      s.closeWindows();
      return this.outcome(which, s.localReply ? 'localReply' : 'stop', status);
    }
    const action = headersAction(status);
    which.paused = action === 'stop';
    which.window = which.paused;
    return this.outcome(which, action, status);
  }

  private outcome(which: Direction, action: HeadersOutcome['action'], status?: number): HeadersOutcome {
    const s = this.state;
    const headers = listFromBytes(which.headers?.toList() ?? [], this.encoding);
    const o: HeadersOutcome = { action, headers, routeCacheCleared: s.routeCacheCleared };
    if (status !== undefined) o.status = status;
    if (s.localReply) o.localReply = s.localReply;
    if (s.streamReset) o.streamReset = true;
    return o;
  }

  private body(which: Direction, chunk: Uint8Array, endOfStream: boolean): BodyOutcome {
    if (this.mode === 'active' && this.vm.failed) this.mode = this.failedMode();
    if (this.mode === 'skipped') return { action: 'skipped', body: chunk };
    if (this.mode === 'failClosed') return { action: 'failed', localReply: failStreamReply() };
    const s = this.state;
    const buffered = which.keepBuffering ? Buffer.concat([which.body, chunk]) : chunk;
    which.body = new Uint8Array(buffered);
    which.bodyOpen = true;
    const hadReply = s.localReply !== undefined;
    let status: number | 'failed';
    try {
      status = this.run(`${which.side}_body`, `proxy_on_${which.side}_body`, [buffered.length, endOfStream ? 1 : 0]);
    } finally {
      which.bodyOpen = false;
    }
    const body = which.body;
    if (status === 'failed') {
      // CHECK_FAIL_HTTP: fail-open continues with the buffer as it is.
      if (this.policy === 'fail_open') return { action: 'skipped', body };
      s.localReply = failStreamReply();
      return { action: 'failed', localReply: s.localReply };
    }
    // 1 StopIterationAndBuffer and 2 StopIterationAndWatermark keep buffering; 0 and 3 do not.
    which.keepBuffering = status === 1 || status === 2;
    if (!hadReply && s.localReply) return { action: 'stop', status, body, localReply: s.localReply };
    return { action: status === 0 ? 'continue' : 'stop', status, body };
  }

  // --- host-function events -------------------------------------------------------------------

  private continueStream(type: StreamType.Request | StreamType.Response): WasmResult {
    const d = type === StreamType.Request ? this.state.request : this.state.response;
    const name = d.side;
    if (this.running === `${name}_headers`) {
      this.vm.violation('wrong-phase', 'proxy_continue_stream',
        `proxy_continue_stream(${name}) inside proxy_on_${name}_headers: return Continue instead`);
      return WasmResult.Ok;
    }
    if (!d.paused) {
      this.vm.violation('wrong-phase', 'proxy_continue_stream', `proxy_continue_stream(${name}) while the ${name} is not paused`);
      return WasmResult.Ok;
    }
    this.vm.deferAfterCall(() => (d === this.state.request ? this.resumeRequest() : this.resumeResponse()));
    return WasmResult.Ok;
  }

  private resumeRequest(): void {
    if (!this.state.request.paused) return;
    this.state.request.window = false;
    this.settleRequest(this.outcome(this.state.request, 'continue', this.requestStatus));
  }

  private resumeResponse(): void {
    this.state.response.paused = false;
    this.state.response.window = false;
  }

  private settleRequest(outcome: HeadersOutcome): void {
    this.state.request.paused = false;
    this.lastRequest = outcome;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(outcome);
    this.vm.env.requestSettled?.(this.vm, this.contextId, outcome);
  }

  /** Envoy's after-VM-call actions of a local reply or a reset: windows close, a pause ends. */
  private endAfterCall(action: HeadersOutcome['action']): void {
    this.vm.deferAfterCall(() => {
      this.state.closeWindows();
      this.state.response.paused = false;
      if (this.state.request.paused) this.settleRequest(this.outcome(this.state.request, action, this.requestStatus));
    });
  }

  private closeStream(): WasmResult {
    this.state.streamReset = true;
    this.endAfterCall('stop');
    return WasmResult.Ok;
  }

  private sendLocalReply(reply: LocalReply): void {
    this.state.localReply = { ...reply, headers: listFromBytes(reply.headers, this.encoding) };
    // Envoy treats the current callback as stopped and sends the reply after the VM call.
    this.endAfterCall('localReply');
  }

  /**
   * The VM failed outside this stream's callbacks (a root callback) while the request waits.
   * Envoy would leave such a stream paused until its idle timeout; the host settles it the way
   * the failure policy treats the stream's next callback, so drivers need no timeout of their own.
   */
  private vmFailed(message: string): void {
    const request = this.state.request;
    if (!request.paused) return;
    this.failure ??= message;
    this.mode = this.failedMode();
    request.window = false;
    if (this.mode === 'skipped') {
      this.settleRequest(this.outcome(request, 'skipped', this.requestStatus));
      return;
    }
    this.state.localReply = failStreamReply();
    this.settleRequest(this.outcome(request, 'failed', this.requestStatus));
  }
}
