// The public host API: start a plugin, drive streams, observe what the filter did.
export type * from './api.ts';
export { startPlugin, ConfigRejectedError, ModuleRejectedError } from './plugin.ts';
export { HeaderMap } from './headers.ts';
export { encodePairs, decodePairs, MAX_PAIRS, MAX_PAIRS_BYTES } from './abi/memory.ts';
export { WasmResult, HeaderMapType, BufferType, StreamType, MetricType } from './abi/types.ts';
// Plugins started with one HostProcess (PluginOptions.process) share shared data and queues.
export { createHostProcess, type HostProcess } from './process.ts';
// What the runner and the application build on (they import the library only through this file).
export { toByteString, fromByteString, asciiLower } from './headers.ts';
export { fromRawHeaders, HOP_BY_HOP } from './http.ts';
export { failStreamReply } from './streams.ts';
// Unit tests of guest code that is not a proxy-wasm module (as-pect): the VM's host functions.
export { createUnitHost, UnitHost, type UnitHostOptions, type UnitCallback } from './unit-host.ts';
