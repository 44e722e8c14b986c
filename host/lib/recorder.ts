// What a plugin observed its VMs do: log lines (filtered by the host log level), host calls,
// violations and VM failures. Bounded, so a long-running runner does not grow without limit.

import type { CalloutDelivery, HostCallRecord, LogEntry, LogLevelName, LogLevelSetting, Violation } from './api.ts';
import { LOG_LEVEL_OFF, LOG_LEVELS } from './abi/types.ts';
import type { VmEnvironment } from './vm.ts';

const MAX_CALLS_PER_VM = 100_000;
/** Log lines, violations and failures kept (the newest). */
const MAX_KEPT = 10_000;

/** Appends to a list that keeps only its newest `limit` items (trimmed in batches of a tenth). */
function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit + limit / 10) list.splice(0, list.length - limit);
}

/** The number proxy_get_log_level answers: 0 trace … 5 critical, 6 off. */
export function levelIndex(level: LogLevelSetting): number {
  return level === 'off' ? LOG_LEVEL_OFF : LOG_LEVELS.indexOf(level);
}

export interface RecorderOptions {
  logLevel?: LogLevelSetting;
  recordHostCalls?: boolean;
  onLog?: (entry: LogEntry) => void;
}

export class Recorder {
  readonly logs: LogEntry[] = [];
  /** The host log level, as proxy_get_log_level answers it. */
  level: number;
  /** While set (a manual callout delivery), also collects what the guest does. */
  tap: CalloutDelivery | undefined;
  private readonly recordCalls: boolean;
  private readonly calls = new Map<string, HostCallRecord[]>();
  private readonly violationList: Violation[] = [];
  private readonly failureList: Array<{ vm: string; message: string }> = [];
  /** Every line of a VM, whatever the level (the canary's, for ConfigRejectedError). */
  private readonly captures = new Map<string, LogEntry[]>();

  constructor(private readonly options: RecorderOptions) {
    this.level = levelIndex(options.logLevel ?? 'info');
    this.recordCalls = options.recordHostCalls ?? true;
  }

  /** The part of a VmEnvironment that reports here (the plugin's VMs, the unit host's). */
  vmSinks(): Pick<VmEnvironment, 'logLevel' | 'log' | 'hostCall' | 'violation' | 'failed'> {
    return {
      logLevel: () => this.level,
      log: (vm, level, message) => this.log(vm, level, message),
      hostCall: (r) => this.hostCall(r),
      violation: (v) => this.violation(v),
      failed: (vm, message) => this.failed(vm.name, message),
    };
  }

  log(vm: string, level: LogLevelName, message: string): void {
    const entry: LogEntry = { level, message, vm };
    this.captures.get(vm)?.push(entry);
    if (levelIndex(level) < this.level) return;
    pushBounded(this.logs, entry, MAX_KEPT);
    this.tap?.logs.push(entry);
    this.options.onLog?.(entry);
  }

  hostCall(r: HostCallRecord): void {
    if (!this.recordCalls) return;
    let list = this.calls.get(r.vm);
    if (!list) this.calls.set(r.vm, (list = []));
    list.push(r);
    if (list.length > MAX_CALLS_PER_VM) list.splice(0, list.length - MAX_CALLS_PER_VM / 2);
  }

  violation(v: Violation): void {
    pushBounded(this.violationList, v, MAX_KEPT);
    this.tap?.violations.push(v);
  }

  /** A VM failed (the canary's failures are the configuration's, not the plugin's). */
  failed(vm: string, message: string): void {
    if (vm !== 'canary') pushBounded(this.failureList, { vm, message }, MAX_KEPT);
  }

  /** Runs fn with every log line of `vm` captured into the list it is given. */
  capturing<T>(vm: string, fn: (captured: LogEntry[]) => T): T {
    const captured: LogEntry[] = [];
    this.captures.set(vm, captured);
    try {
      return fn(captured);
    } finally {
      this.captures.delete(vm);
    }
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
}
