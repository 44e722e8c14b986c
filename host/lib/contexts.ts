// The contexts of one VM, as the guest sees them through proxy_set_effective_context and every
// host call: the VM's own (id 0, start-up and malloc), root contexts, stream contexts. A low
// module so that the VM, the ABI areas and the streams all import it and not each other.

import type { InFlightCallout } from './callouts.ts';
import type { HeaderMap } from './headers.ts';
import type { StreamState } from './stream-state.ts';

export interface RootContext {
  kind: 'root';
  id: number;
  rootId: string;
  /** The plugin configuration this root context was configured with. */
  configuration: Uint8Array;
  /** True while on_vm_start / on_configure run (PluginConfiguration readable). */
  configuring: boolean;
  tickPeriodMs: number;
  lastTick: number;
  timer?: NodeJS.Timeout;
  callouts: Map<number, InFlightCallout>;
  /** Set only inside proxy_on_http_call_response. */
  httpCallResponse?: { headers: HeaderMap; trailers: HeaderMap; body: Uint8Array };
  status: { code: number; message: string };
  alive: boolean;
}

export interface StreamContext {
  kind: 'stream';
  id: number;
  root: RootContext;
  state: StreamState;
}

/** The VM's own context (id 0): start-up and malloc run in it. */
export interface VmContext {
  kind: 'vm';
  id: 0;
}

export type Context = RootContext | StreamContext | VmContext;

/** The root context a context belongs to (none for the VM context). */
export function rootOf(ctx: Context): RootContext | undefined {
  if (ctx.kind === 'root') return ctx;
  if (ctx.kind === 'stream') return ctx.root;
  return undefined;
}
