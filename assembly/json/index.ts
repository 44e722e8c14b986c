// The JSON module: a strict, never-aborting parser, the document (a tape of tokens) it produces,
// and cursors over it.
export { JsonDocument, JsonKind, MAX_SOURCE_BYTES } from "./document";
export { JsonItems, JsonValue, quote } from "./value";
export { JsonResult, MAX_DEPTH, parseJson, parseJsonBytes, parseJsonString } from "./parse";
export { StringSet } from "./stringset";
export { fieldPath, indexPath } from "./path";
