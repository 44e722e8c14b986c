// Placeholder while the filter is written: a root context that accepts any configuration.
export * from "@solo-io/proxy-runtime/assembly/proxy";
import { RootContext, Context, registerRootContext } from "@solo-io/proxy-runtime/assembly";
class Root extends RootContext {
  createContext(id: u32): Context { return new Context(id, this); }
  onConfigure(size: u32): bool { return true; }
}
registerRootContext((id: u32) => new Root(id) as RootContext, "routekey");
