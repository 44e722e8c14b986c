// Field paths for error messages, shared by the JSON parser (duplicate keys) and the config parser.
//
//   ""                 the root (the config parser prints it as `configuration`)
//   routes[2].keys[0]  fields as `.name`, array elements as `[i]`
//   set.x-sandbox      field names of [A-Za-z0-9_-] are written bare
//   rewrites["a.b"]    any other field name (or an empty one) is quoted in brackets
import { isWord } from "../bytes";
import { quote } from "./value";

/** `parent.key`, or `parent["key"]` when `key` is not `[A-Za-z0-9_-]+`. */
export function fieldPath(parent: string, key: string): string {
  if (!isBare(key)) return parent + "[" + quote(key) + "]";
  return parent.length == 0 ? key : parent + "." + key;
}

/** `parent[i]`. */
export function indexPath(parent: string, i: i32): string {
  return parent + "[" + i.toString() + "]";
}

/** A field name written bare in a path: `[A-Za-z0-9_-]+`. */
function isBare(key: string): bool {
  return key.length > 0 && isWord(key);
}
