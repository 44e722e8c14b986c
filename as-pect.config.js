// as-pect: AssemblyScript unit tests for the pure logic in assembly/ (JSON, config, rule table,
// key extraction). Modules that call the proxy-wasm host are tested through host/ instead.
export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: ["tests/assembly/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
