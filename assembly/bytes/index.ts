// Byte and character helpers at the bottom of the import graph: json/, config/, rules/ and
// filter/ import them; they import nothing of routekey's.
export { FNV_OFFSET, FNV_PRIME, fnvStep, hashBytes, scopedHash } from "./hash";
export { isWordChar, isWord, asciiLower } from "./chars";
export { isOws, skipOws, trimOwsEnd, findByte, bytesEqual, lowerInPlace, percentDecode, afterNameEquals } from "./scan";
