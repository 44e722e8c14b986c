// as-pect: AssemblyScript unit tests for the pure logic in assembly/ (bytes, JSON, config, rule
// table, tick scheduler), one spec folder per assembly/ folder. Modules that call the proxy-wasm
// host (filter/, sdk.ts) are tested through host/ instead (tests/filter/).
export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: ["tests/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
