// routekey: header-based request dispatch for Envoy and Istio. This file registers the root
// context and nothing else; see filter/ for the request path and config/ for the configuration.
export * from "@solo-io/proxy-runtime/assembly/proxy";
// Ours, not the SDK's: it lets the one root context serve any root id (see sdk.ts).
export { proxy_on_context_create } from "./sdk";
// Ours too: the SDK's, then a collection (see exports.ts, gc.ts).
export { proxy_on_vm_start, proxy_on_configure, proxy_on_tick, proxy_on_http_call_response, proxy_on_delete } from "./exports";
import { registerRootContext, RootContext } from "./sdk";
import { RoutekeyRoot, ROOT_ID } from "./filter/root";

registerRootContext((contextId: u32): RootContext => new RoutekeyRoot(contextId), ROOT_ID);
