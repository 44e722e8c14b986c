// routekey: header-based request dispatch for Envoy and Istio. This file registers the root
// context and nothing else; see filter/ for the request path and config/ for the configuration.
export * from "@solo-io/proxy-runtime/assembly/proxy";
// Ours, not the SDK's: it lets the one root context serve any root id (see sdk.ts).
export { proxy_on_context_create } from "./sdk";
import { registerRootContext, RootContext } from "./sdk";
import { RoutekeyRoot, ROOT_ID } from "./filter/root";

registerRootContext((contextId: u32): RootContext => new RoutekeyRoot(contextId), ROOT_ID);
