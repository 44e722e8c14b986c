// Byte and character helpers, and the request path's scratch block, at the bottom of the import
// graph: json/, config/, rules/ and filter/ import them; they import nothing of routekey's.
export { FNV_OFFSET, FNV_PRIME, fnvStep, hashBytes, scopedHash } from "./hash";
export { isWordChar, isWord, asciiLower } from "./chars";
export { isOws, skipOws, trimOwsEnd, findByte, bytesEqual, lowerInPlace, percentDecode, afterNameEquals } from "./scan";
export { SCRATCH_CELL, scratchRoom } from "./scratch";
