// Shared data and shared queues of one host process (host/lib/process.ts), keyed by vm_id like
// Envoy's (every worker VM of every plugin with the same vm_id sees the same keys; Istio leaves
// vm_id empty). Keys, names and vm ids are byte strings (host/lib/headers.ts), compared byte for byte.

import { WasmResult } from './abi/types.ts';

interface Entry {
  value: Uint8Array;
  cas: number;
}

export class SharedData {
  private readonly data = new Map<string, Map<string, Entry>>();
  private nextCas = 1;

  private casValue(): number {
    const cas = this.nextCas;
    this.nextCas = (this.nextCas + 1) >>> 0 || 1;
    return cas;
  }

  get(vmId: string, key: string): Entry | undefined {
    return this.data.get(vmId)?.get(key);
  }

  /** cas = 0 is unconditional; cas != 0 on an existing key whose cas differs is CasMismatch. */
  set(vmId: string, key: string, value: Uint8Array, cas: number): WasmResult {
    let map = this.data.get(vmId);
    if (!map) this.data.set(vmId, (map = new Map()));
    const existing = map.get(key);
    if (existing && cas !== 0 && cas !== existing.cas) return WasmResult.CasMismatch;
    map.set(key, { value, cas: this.casValue() });
    return WasmResult.Ok;
  }
}

/** Whoever registered a queue last: gets proxy_on_queue_ready. */
export interface QueueOwner {
  isAlive(): boolean;
  queueReady(contextId: number, token: number): void;
}

interface Queue {
  token: number;
  vmId: string;
  name: string;
  items: Uint8Array[];
  owner: QueueOwner;
  contextId: number;
}

export class SharedQueues {
  private readonly byName = new Map<string, Queue>();
  private readonly byToken = new Map<number, Queue>();
  private nextToken = 1;
  private readonly pending = new Set<NodeJS.Immediate>();

  register(vmId: string, name: string, owner: QueueOwner, contextId: number): number {
    const key = `${vmId}\0${name}`;
    const q = this.byName.get(key);
    if (q) {
      q.owner = owner;
      q.contextId = contextId;
      return q.token;
    }
    const token = this.nextToken++;
    const queue: Queue = { token, vmId, name, items: [], owner, contextId };
    this.byName.set(key, queue);
    this.byToken.set(token, queue);
    return token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`)?.token;
  }

  dequeue(token: number): { result: WasmResult; data?: Uint8Array } {
    const q = this.byToken.get(token);
    if (!q) return { result: WasmResult.NotFound };
    const data = q.items.shift();
    if (!data) return { result: WasmResult.Empty };
    return { result: WasmResult.Ok, data };
  }

  /** Pushes and notifies the owner asynchronously (Envoy posts it to the owner's thread). */
  enqueue(token: number, data: Uint8Array): WasmResult {
    const q = this.byToken.get(token);
    if (!q) return WasmResult.NotFound;
    q.items.push(data);
    const owner = q.owner;
    const contextId = q.contextId;
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      if (owner.isAlive()) owner.queueReady(contextId, token);
    });
    this.pending.add(handle);
    return WasmResult.Ok;
  }

  /** Resolves once every scheduled on_queue_ready has run. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await new Promise<void>((r) => setImmediate(r));
  }
}
