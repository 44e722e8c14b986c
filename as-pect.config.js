// as-pect: AssemblyScript unit tests for the logic in assembly/ (bytes, JSON, config, rule table,
// tick scheduler, key extraction, applying actions), one spec folder per assembly/ folder. A spec
// that calls the proxy-wasm host (through assembly/sdk.ts)
// gets the host functions of host/lib's VM (host/lib/unit-host.ts): one root context and one
// stream context, host calls inside on_request_headers of the stream, its request header window
// open and its header maps empty. Such a spec exports `malloc` for the host to write into it.
//
// The host is TypeScript: tsx's scoped import loads it without changing how node or asp runs
// (`asp --config as-pect.config.js` works as it is).
import { tsImport } from "tsx/esm/api";

const { createUnitHost } = await tsImport("./host/lib/index.ts", import.meta.url);

export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: ["tests/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    const module = new WebAssembly.Module(binary);
    // A fresh host per spec file; only the env.proxy_* functions the spec imports are merged
    // (as-pect's own env functions, abort and trace, are added by createImports after these).
    const host = createUnitHost();
    const proxy = host.importsFor(module);
    const result = await instantiate(module, createImports({ env: { memory, ...proxy.env } }));
    if (Object.keys(proxy.env).length > 0) {
      host.bind(result.instance);
      host.enter("proxy_on_request_headers");
    }
    return result;
  },
  outputBinary: false,
};
