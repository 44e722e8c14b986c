// Small helpers shared by the host tests.

import type { Plugin, PluginOptions } from '../../host/lib/api.ts';
import { startPlugin } from '../../host/lib/index.ts';

let vmIds = 0;

/** Starts a plugin on a test module with a vm_id of its own (shared data/queues stay isolated). */
export function start(wasm: Uint8Array, options: Partial<PluginOptions> = {}): Promise<Plugin> {
  return startPlugin({ wasm, rootId: 'test', vmId: `test-vm-${process.pid}-${++vmIds}`, workers: 1, ...options });
}

/** Result codes of every call of one host function, in order. */
export function results(plugin: Plugin, name: string, vm?: string): Array<number | undefined> {
  return plugin.hostCalls(vm).filter((c) => c.name === name).map((c) => c.result);
}

/** Guest log messages, in order. */
export function messages(plugin: Plugin, vm?: string): string[] {
  return plugin.logs.filter((l) => vm === undefined || l.vm === vm).map((l) => l.message);
}
