// Shared data (with CAS) and shared queues: the host process's store for the VM's vm_id
// (host/lib/shared.ts). A queue remembers who registered it last; that context gets on_queue_ready.

import type { QueueOwner, SharedData, SharedQueues } from '../shared.ts';
import type { ImportTable } from './host-calls.ts';
import { WasmResult } from './types.ts';

/** What the shared-data and queue calls need besides the calling context. */
export interface SharedDataHost {
  /** The VM's vm_id as a byte string. */
  vmId: string;
  data: SharedData;
  queues: SharedQueues;
  /** Who gets on_queue_ready for the queues this VM registers. */
  owner: QueueOwner;
}

export function defineSharedDataCalls(t: ImportTable, host: SharedDataHost): void {
  const { vmId, data, queues } = host;

  t.define('proxy_get_shared_data', (kp: number, ks: number, vpp: number, vsp: number, casPtr: number) => {
    const key = t.mem.readByteString(kp, ks);
    if (key === undefined) return t.badMemory();
    const entry = data.get(vmId, key);
    if (!entry) return WasmResult.NotFound;
    const r = t.out(entry.value, vpp, vsp);
    if (r !== WasmResult.Ok) return r;
    return t.wrote(t.mem.writeU32(casPtr, entry.cas));
  });

  t.define('proxy_set_shared_data', (kp: number, ks: number, vp: number, vs: number, cas: number) => {
    const key = t.mem.readByteString(kp, ks);
    const value = t.mem.read(vp, vs);
    if (key === undefined || value === undefined) return t.badMemory();
    return data.set(vmId, key, value, cas >>> 0);
  });

  t.define('proxy_register_shared_queue', (np: number, ns: number, tokenPtr: number) => {
    const name = t.mem.readByteString(np, ns);
    if (name === undefined) return t.badMemory();
    const token = queues.register(vmId, name, host.owner, t.ctx().id);
    return t.wrote(t.mem.writeU32(tokenPtr, token));
  });

  t.define('proxy_resolve_shared_queue', (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
    const id = t.mem.readByteString(vp, vs);
    const name = t.mem.readByteString(np, ns);
    if (id === undefined || name === undefined) return t.badMemory();
    const token = queues.resolve(id, name);
    if (token === undefined) return WasmResult.NotFound;
    return t.wrote(t.mem.writeU32(tokenPtr, token));
  });

  t.define('proxy_dequeue_shared_queue', (token: number, dpp: number, dsp: number) => {
    const r = queues.dequeue(token >>> 0);
    if (r.result !== WasmResult.Ok) return r.result;
    return t.out(r.data!, dpp, dsp);
  });

  t.define('proxy_enqueue_shared_queue', (token: number, dp: number, ds: number) => {
    const value = t.mem.read(dp, ds);
    if (value === undefined) return t.badMemory();
    return queues.enqueue(token >>> 0, value);
  });
}
