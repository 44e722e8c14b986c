// Logging, the log level (ABI 0.2.1), the status of the last callout (proxy_get_status), and the
// emscripten leftovers Envoy still registers.

import type { ImportTable } from './host-calls.ts';
import { utf8 } from './memory.ts';
import { LOG_LEVEL_MAX, LOG_LEVELS, WasmResult } from './types.ts';

/** What the logging calls need besides the calling context. */
export interface LogHost {
  /** The number proxy_get_log_level answers. */
  logLevel(): number;
}

export function defineLoggingCalls(t: ImportTable, host: LogHost): void {
  t.define('proxy_log', (level: number, ptr: number, size: number) => {
    if (level >>> 0 > LOG_LEVEL_MAX) return t.badArg(`log level ${level}`);
    const message = t.mem.readString(ptr, size);
    if (message === undefined) return t.badMemory();
    t.vm.log(LOG_LEVELS[level]!, message);
    return WasmResult.Ok;
  });

  if (t.vm.abi === '0.2.1') {
    t.define('proxy_get_log_level', (levelPtr: number) => t.wrote(t.mem.writeU32(levelPtr, host.logLevel())));
  }

  t.define('proxy_get_status', (codePtr: number, ptrPtr: number, sizePtr: number) => {
    const status = t.root()?.status ?? { code: 0, message: '' };
    if (!t.mem.writeU32(codePtr, status.code)) return t.badMemory();
    return t.out(utf8(status.message), ptrPtr, sizePtr);
  });

  t.define('pthread_equal', (a: number, b: number) => (a === b ? 1 : 0));
  t.define('emscripten_notify_memory_growth', () => undefined);
}
