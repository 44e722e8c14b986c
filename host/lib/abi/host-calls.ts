// How a host function is defined: every call is checked against the start-up/malloc restrictions
// and recorded (name + result), and the helpers every ABI area shares (guest memory, the calling
// context, violation reports naming the call) live here, so the areas stay declarative.

import type { LogLevelName, ViolationKind } from '../api.ts';
import { type Context, rootOf, type RootContext, type StreamContext } from '../contexts.ts';
import type { GuestMemory } from './memory.ts';
import { type AbiVersion, WasmResult } from './types.ts';

export type HostFn = (...args: any[]) => number | void;

/** What checking and recording a call needs (WASI functions need only this). */
export interface CallChecks {
  readonly mem: GuestMemory;
  /** Throws a trap when the call is not allowed right now (start-up / inside malloc). */
  checkAllowed(fullName: string): void;
  recordCall(name: string, result: number | undefined): void;
  log(level: LogLevelName, message: string): void;
}

/** What every env.proxy_* function needs from its VM. */
export interface HostCallVm extends CallChecks {
  readonly abi: AbiVersion;
  readonly currentCallback: string | undefined;
  /** The context a host call acts on (the effective one, else the caller's). */
  context(): Context;
  violation(kind: ViolationKind, call: string, message: string): void;
}

export const EMPTY = new Uint8Array(0);

/** The env module's import table as the ABI areas fill it in. */
export class ImportTable {
  readonly fns: Record<string, HostFn> = {};
  /** The env function running now (violations name it; host calls can nest through malloc). */
  private currentCall = '';

  constructor(readonly vm: HostCallVm) {}

  get mem(): GuestMemory {
    return this.vm.mem;
  }

  ctx(): Context {
    return this.vm.context();
  }

  root(): RootContext | undefined {
    return rootOf(this.vm.context());
  }

  stream(): StreamContext | undefined {
    const c = this.vm.context();
    return c.kind === 'stream' ? c : undefined;
  }

  define(name: string, fn: HostFn): void {
    const full = `env.${name}`;
    const vm = this.vm;
    this.fns[name] = (...args: unknown[]) => {
      vm.checkAllowed(full);
      const saved = this.currentCall;
      this.currentCall = name;
      try {
        const r = fn(...args);
        vm.recordCall(name, typeof r === 'number' ? r : undefined);
        return r;
      } finally {
        this.currentCall = saved;
      }
    };
  }

  violation(kind: ViolationKind, message: string): void {
    this.vm.violation(kind, this.currentCall, `${this.currentCall}: ${message}`);
  }

  badMemory(): WasmResult {
    this.violation('invalid-memory', 'guest pointer out of bounds');
    return WasmResult.InvalidMemoryAccess;
  }

  wrongPhase(what: string): void {
    this.violation('wrong-phase', `${what} not available in ${this.vm.currentCallback ?? 'this phase'}`);
  }

  badArg(what: string): WasmResult {
    this.violation('bad-argument', what);
    return WasmResult.BadArgument;
  }

  /** Copies data into a fresh guest allocation and writes its pointer and size. */
  out(data: Uint8Array, ptrPtr: number, sizePtr: number): WasmResult {
    return this.mem.copyToPointerSize(data, ptrPtr, sizePtr) ? WasmResult.Ok : this.badMemory();
  }

  /** Ok when a write into guest memory succeeded, else the invalid-memory report. */
  wrote(ok: boolean): WasmResult {
    return ok ? WasmResult.Ok : this.badMemory();
  }
}
