// The exports after which garbage can be waiting: each runs the SDK's, then collects (gc.ts:
// under the minimal runtime nothing collects unless asked, and the end of an export is where no
// wasm frame holds anything). The request callbacks allocate nothing in steady state (streams
// are pooled, filter/state.ts), so a stream's end collects only now and then.
import {
  proxy_on_vm_start as sdkOnVmStart,
  proxy_on_configure as sdkOnConfigure,
  proxy_on_tick as sdkOnTick,
  proxy_on_http_call_response as sdkOnHttpCallResponse,
  proxy_on_delete as sdkOnDelete,
} from "@solo-io/proxy-runtime/assembly/exports";
import { RootContext, getBaseContext } from "@solo-io/proxy-runtime/assembly/runtime";
import { collectAtExportEnd } from "./gc";

/** Context deletions between two collections: what requests left (error lines, map growth) is small. */
const DELETES_PER_COLLECT: u32 = 1024;
let deletes: u32 = 0;

export function proxy_on_vm_start(rootContextId: u32, configurationSize: u32): u32 {
  const r = sdkOnVmStart(rootContextId, configurationSize);
  collectAtExportEnd();
  return r;
}

/** The parse of a configuration leaves most of the garbage: collected before Envoy's next call. */
export function proxy_on_configure(rootContextId: u32, configurationSize: u32): u32 {
  const r = sdkOnConfigure(rootContextId, configurationSize);
  collectAtExportEnd();
  return r;
}

/** The periodic duties (a rules document compiled from shared data among them). */
export function proxy_on_tick(rootContextId: u32): void {
  sdkOnTick(rootContextId);
  collectAtExportEnd();
}

/** A fetched rules document, compiled. */
export function proxy_on_http_call_response(contextId: u32, token: u32, headers: u32, bodySize: u32, trailers: u32): void {
  sdkOnHttpCallResponse(contextId, token, headers, bodySize, trailers);
  collectAtExportEnd();
}

/**
 * A root's end (a reconfiguration's old root) collects at once: what it held is freed before the
 * next configuration is parsed, which then reuses the space instead of growing memory.
 */
export function proxy_on_delete(contextId: u32): void {
  const root = getBaseContext(contextId) instanceof RootContext;
  sdkOnDelete(contextId);
  if (root || ++deletes >= DELETES_PER_COLLECT) {
    deletes = 0;
    collectAtExportEnd();
  }
}
