// Applying a prepared action to the request: header operations (bytes prepared at configuration
// time) and the destination's path prefix. No strings are built here.

import { RuleTable } from "../rules/table";
import { HeaderOpKind } from "../config/model";
import {
  HeaderMap, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes,
  replaceHeaderRaw, addHeaderRaw, removeHeaderRaw,
} from "../sdk";

const PATH = memory.data<u8>([0x3a, 0x70, 0x61, 0x74, 0x68]); // ":path"
const PATH_LEN: usize = 5;

// A raw scratch block for the rewritten :path, reused by every request; it only grows to the
// longest path seen, so steady state allocates nothing.
let scratch: usize = 0;
let scratchSize: usize = 0;

export function applyAction(table: RuleTable, action: i32): void {
  let n = table.opCount(action);
  for (let i = 0; i < n; i++) {
    let kind = table.opKind(action, i);
    let namePtr = table.opNamePtr(action, i);
    let nameLen = table.opNameLen(action, i);
    if (kind == HeaderOpKind.Set) {
      replaceHeaderRaw(HeaderMap.Request, namePtr, nameLen, table.opValuePtr(action, i), table.opValueLen(action, i));
    } else if (kind == HeaderOpKind.Add) {
      addHeaderRaw(HeaderMap.Request, namePtr, nameLen, table.opValuePtr(action, i), table.opValueLen(action, i));
    } else {
      removeHeaderRaw(HeaderMap.Request, namePtr, nameLen);
    }
  }
  let prefixLen = table.prefixLen(action);
  if (prefixLen != 0) prefixPath(table.prefixPtr(action), prefixLen);
}

/** `:path` becomes prefix + path ("/api" + "/hello?x=1" → "/api/hello?x=1"). */
function prefixPath(prefixPtr: usize, prefixLen: usize): void {
  if (!getHeaderRaw(HeaderMap.Request, PATH, PATH_LEN)) return;
  let pathPtr = hostBytesPtr();
  let pathLen = hostBytesLen();
  // Only an origin-form path ("/…") takes a prefix: "*" (OPTIONS) or an absolute URI stays as is.
  if (pathLen == 0 || load<u8>(pathPtr) != 0x2f) {
    freeHostBytes(pathPtr);
    return;
  }
  let total = prefixLen + pathLen;
  if (total > scratchSize) {
    scratch = scratch == 0 ? heap.alloc(total) : heap.realloc(scratch, total);
    scratchSize = total;
  }
  memory.copy(scratch, prefixPtr, prefixLen);
  memory.copy(scratch + prefixLen, pathPtr, pathLen);
  freeHostBytes(pathPtr);
  replaceHeaderRaw(HeaderMap.Request, PATH, PATH_LEN, scratch, total);
}
