// A proxy process, as far as its plugins can see each other: Envoy keeps shared data and shared
// queues per vm_id in the process, so every plugin (and every worker VM) of one vm_id in one proxy
// sees the same keys. Plugins started with the same HostProcess share them the same way; a plugin
// started without one gets a private process of its own, so tests cannot leak into each other.

import { SharedData, SharedQueues } from './shared.ts';

export class HostProcess {
  readonly sharedData = new SharedData();
  readonly sharedQueues = new SharedQueues();

  /** Resolves once every on_queue_ready scheduled in this process has run. */
  settle(): Promise<void> {
    return this.sharedQueues.settle();
  }
}

/** A fresh process: pass it as PluginOptions.process to every plugin that should share. */
export function createHostProcess(): HostProcess {
  return new HostProcess();
}
