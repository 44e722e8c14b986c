// The JSON module: a strict, never-aborting parser and the tree it produces.
export { JsonKind, JsonValue, quote } from "./value";
export { JsonResult, MAX_DEPTH, parseJson, parseJsonString } from "./parse";
export { fieldPath, indexPath } from "./path";
