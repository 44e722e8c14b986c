// Envoy's WASI subset, provided under both wasi_snapshot_preview1 and wasi_unstable: stdout and
// stderr go to the log, realtime and monotonic clocks, random, and stubs for the rest (no files,
// no args, no environment). Each call is checked against the start-up/malloc restrictions and
// recorded like the env.proxy_* functions.

import type { CallChecks, HostFn } from './host-calls.ts';
import { fromUtf8 } from './memory.ts';
import { WasiErrno } from './types.ts';

/** What the WASI functions need from the VM: the call checks, the log and the clocks. */
export interface WasiHost extends CallChecks {
  nowNanoseconds(): bigint;
  monotonicNanoseconds(): bigint;
}

export const WASI_FUNCTIONS = [
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'environ_get', 'environ_sizes_get',
  'args_get', 'args_sizes_get', 'clock_time_get', 'random_get', 'proc_exit', 'path_open',
  'fd_prestat_get', 'fd_prestat_dir_name', 'poll_oneoff', 'sched_yield',
];

export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'];

const CLOCK_REALTIME = 0;
const CLOCK_MONOTONIC = 1;

/** The WASI functions of one module name (`wasi_snapshot_preview1` or `wasi_unstable`). */
export function wasiImports(vm: WasiHost, module: string): Record<string, HostFn> {
  const fns: Record<string, HostFn> = {};
  const mem = () => vm.mem;
  const define = (name: string, fn: HostFn): void => {
    const full = `${module}.${name}`;
    fns[name] = (...args: unknown[]) => {
      vm.checkAllowed(full);
      const r = fn(...args);
      vm.recordCall(full, typeof r === 'number' ? r : undefined);
      return r;
    };
  };

  define('fd_write', (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
    const level = fd === 1 ? 'info' : fd === 2 ? 'error' : undefined;
    if (!level) return WasiErrno.BADF;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < iovsLen; i++) {
      const buf = mem().readU32(iovs + i * 8);
      const len = mem().readU32(iovs + i * 8 + 4);
      if (buf === undefined || len === undefined) return WasiErrno.FAULT;
      const part = mem().read(buf, len);
      if (part === undefined) return WasiErrno.FAULT;
      parts.push(part);
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length > 0) {
      let text = fromUtf8(bytes);
      if (text.endsWith('\n')) text = text.slice(0, -1);
      vm.log(level, text);
    }
    return mem().writeU32(nwrittenPtr, bytes.length) ? WasiErrno.SUCCESS : WasiErrno.FAULT;
  });
  define('fd_read', () => WasiErrno.NOSYS);
  define('fd_seek', () => WasiErrno.SUCCESS);
  define('fd_close', () => WasiErrno.SUCCESS);
  define('fd_fdstat_get', (fd: number, statPtr: number) => {
    if (fd !== 1 && fd !== 2) return WasiErrno.BADF;
    const stat = new Uint8Array(24);
    new DataView(stat.buffer).setBigUint64(8, 64n, true); // fs_rights_base = FD_WRITE
    mem().write(statPtr, stat);
    return WasiErrno.SUCCESS;
  });
  define('environ_get', () => WasiErrno.SUCCESS);
  define('environ_sizes_get', (countPtr: number, sizePtr: number) =>
    mem().writeU32(countPtr, 0) && mem().writeU32(sizePtr, 0) ? WasiErrno.SUCCESS : WasiErrno.FAULT);
  define('args_get', () => WasiErrno.SUCCESS);
  define('args_sizes_get', (argcPtr: number, sizePtr: number) =>
    mem().writeU32(argcPtr, 0) && mem().writeU32(sizePtr, 0) ? WasiErrno.SUCCESS : WasiErrno.FAULT);
  // Envoy: realtime = getCurrentTimeNanoseconds, monotonic = getMonotonicTimeNanoseconds, the CPU
  // clocks are not supported.
  define('clock_time_get', (clockId: number, _precision: bigint, resultPtr: number) => {
    let ns: bigint;
    if (clockId === CLOCK_REALTIME) ns = vm.nowNanoseconds();
    else if (clockId === CLOCK_MONOTONIC) ns = vm.monotonicNanoseconds();
    else return WasiErrno.NOTSUP;
    return mem().writeU64(resultPtr, ns) ? WasiErrno.SUCCESS : WasiErrno.FAULT;
  });
  define('random_get', (bufPtr: number, len: number) => {
    const bytes = new Uint8Array(len >>> 0);
    for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
    return mem().write(bufPtr, bytes) ? WasiErrno.SUCCESS : WasiErrno.FAULT;
  });
  // Envoy only logs; the guest's next instruction (unreachable) is what fails the VM.
  define('proc_exit', () => {
    vm.log('error', `${module} proc_exit`);
  });
  define('path_open', () => WasiErrno.BADF);
  define('fd_prestat_get', () => WasiErrno.BADF);
  define('fd_prestat_dir_name', () => WasiErrno.BADF);
  define('poll_oneoff', () => WasiErrno.NOSYS);
  define('sched_yield', () => WasiErrno.SUCCESS);
  return fns;
}
