// Manual callout mode (PluginOptions.callouts = 'manual'): proxy_http_call sends nothing; the call
// waits here until the test answers it with Plugin.deliverCallout, which delivers the answer
// through the same WasmVm.deliverCallout path a network response takes, and reports what the guest
// did meanwhile (requests resumed, log lines, violations, a failure).

import type { CalloutDelivery, CalloutResponse, HeaderEncoding, PendingCallout } from './api.ts';
import { type CalloutRequest, type CalloutResult, type InFlightCallout, manualResult } from './callouts.ts';
import type { RootContext } from './contexts.ts';
import { listFromBytes } from './headers.ts';
import type { Recorder } from './recorder.ts';
import type { WasmVm } from './vm.ts';

/** A manual-mode callout waiting for deliverCallout. */
interface ManualCallout {
  vm: WasmVm;
  root: RootContext;
  info: PendingCallout;
  /** Settles the InFlightCallout's `done` (after delivery, or 'aborted' when cancelled). */
  settle(result: CalloutResult): void;
}

export class ManualCallouts {
  private readonly pending = new Set<ManualCallout>();

  constructor(
    private readonly encoding: HeaderEncoding,
    private readonly recorder: Recorder,
  ) {}

  /** Keeps the callout for deliverCallout; cancelling (abort) drops it. */
  record(vm: WasmVm, root: RootContext, token: number, request: CalloutRequest, contextId: number): InFlightCallout {
    let settle!: (r: CalloutResult) => void;
    const done = new Promise<CalloutResult>((resolve) => (settle = resolve));
    const entry: ManualCallout = {
      vm,
      root,
      settle,
      info: {
        vm: vm.name, token, cluster: request.cluster, headers: listFromBytes(request.headers, this.encoding),
        body: request.body, trailers: listFromBytes(request.trailers, this.encoding), timeoutMs: request.timeoutMs,
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

  list(): PendingCallout[] {
    return [...this.pending].map(({ info }) => ({
      ...info,
      headers: info.headers.map(([k, v]): [string, string] => [k, v]),
      body: info.body.slice(),
      trailers: info.trailers.map(([k, v]): [string, string] => [k, v]),
    }));
  }

  deliver(token: number, response: CalloutResponse | 'reset' | 'timeout', vm?: string): CalloutDelivery {
    const matches = [...this.pending].filter((e) => e.info.token === token && (vm === undefined || e.vm.name === vm));
    if (matches.length === 0) {
      throw new Error(`deliverCallout: no pending callout with token ${token}${vm === undefined ? '' : ` on ${vm}`}`);
    }
    if (matches.length > 1) {
      throw new Error(`deliverCallout: token ${token} is pending on ${matches.map((e) => e.vm.name).join(', ')}: name the vm`);
    }
    const entry = matches[0]!;
    const result = manualResult(response, this.encoding);
    this.pending.delete(entry);
    const delivery: CalloutDelivery = { resumed: [], logs: [], violations: [] };
    const outer = this.recorder.tap;
    const failedBefore = entry.vm.failed;
    this.recorder.tap = delivery;
    try {
      entry.vm.deliverCallout(entry.root, entry.info.token, result);
    } finally {
      this.recorder.tap = outer;
      entry.settle(result);
    }
    if (failedBefore === undefined && entry.vm.failed !== undefined) delivery.failure = entry.vm.failed;
    return delivery;
  }
}
