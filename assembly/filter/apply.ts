// Applying a prepared action to the request: header operations (bytes prepared at configuration
// time) and the destination's path prefix. No strings are built here.

import { RuleTable } from "../rules/table";
import { OP_SIZE } from "../rules/layout";
import { SCRATCH_CELL, scratchRoom } from "../bytes";
import { HeaderOpKind } from "../config/model";
import {
  HeaderMap, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes,
  replaceHeaderRaw, addHeaderRaw, removeHeaderRaw, log, logEnabled, LogLevelValues,
} from "../sdk";

const PATH = memory.data<u8>([0x3a, 0x70, 0x61, 0x74, 0x68]); // ":path"
const PATH_LEN: usize = 5;

/** The rewritten :path; it grows to the longest path seen. */
const pathScratch = memory.data(SCRATCH_CELL, 4);

/**
 * Paths longer than this are not copied: a request routed to a destination with a path prefix
 * and a longer path is left entirely unrewritten (no header operations, no prefix), so it is
 * never sent to the prefixed destination outside its prefix. Logged at debug.
 */
export const MAX_PATH_BYTES: usize = 8192;

/** False when the action was not applied: the path is over MAX_PATH_BYTES (counted by the caller). */
export function applyAction(table: RuleTable, action: i32): bool {
  let prefixLen = table.prefixLen(action);
  let pathPtr: usize = 0;
  let pathLen: usize = 0;
  let got = prefixLen != 0 && getHeaderRaw(HeaderMap.Request, PATH, PATH_LEN);
  if (got) {
    pathPtr = hostBytesPtr();
    pathLen = hostBytesLen();
    if (pathLen > MAX_PATH_BYTES) {
      freeHostBytes(pathPtr);
      if (logEnabled(LogLevelValues.debug)) log(LogLevelValues.debug, "routekey: path over 8192 bytes: left unrewritten");
      return false;
    }
  }
  applyHeaderOps(table, HeaderMap.Request, table.requestOpAt(action, 0), table.opCount(action));
  if (got) prefixPath(table.prefixPtr(action), prefixLen, pathPtr, pathLen);
  return true;
}

/**
 * `n` prepared header operations onto `map`, in order (one host call each): the records follow
 * each other from `first` (a request's ops, or a response's: filter/respond.ts).
 */
export function applyHeaderOps(table: RuleTable, map: HeaderMap, first: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    let rec = first + <usize>i * OP_SIZE;
    let kind = table.recKind(rec);
    let namePtr = table.recNamePtr(rec);
    let nameLen = table.recNameLen(rec);
    if (kind == HeaderOpKind.Set) {
      replaceHeaderRaw(map, namePtr, nameLen, table.recValuePtr(rec), table.recValueLen(rec));
    } else if (kind == HeaderOpKind.Add) {
      addHeaderRaw(map, namePtr, nameLen, table.recValuePtr(rec), table.recValueLen(rec));
    } else {
      removeHeaderRaw(map, namePtr, nameLen);
    }
  }
}

/** Whether the path byte at `i` (of `n`) starts a separator: "/", "\\", %2f or %5c; its length. */
function sepLen(p: usize, i: usize, n: usize): usize {
  let c = load<u8>(p + i);
  if (c == 0x2f || c == 0x5c) return 1;
  if (c == 0x25 && i + 2 < n) {
    let h = load<u8>(p + i + 1);
    let l = load<u8>(p + i + 2) | 32;
    if ((h == 0x32 && l == 0x66) || (h == 0x35 && l == 0x63)) return 3;
  }
  return 0;
}

/**
 * `:path` becomes prefix + path ("/api" + "/hello?x=1" → "/api/hello?x=1"), the path normalised
 * first so the result cannot leave the prefix: RFC 3986 §5.2.4 dot-segment removal, with %2e as
 * ".", a segment "..;…" (or ".;…") as ".." ("."), "\\", %2f and %5c as "/", and "//" merged:
 * "/../x//evil.com" → "/api/x/evil.com". The query string is kept as is. Written into a reused
 * raw scratch block (no GC allocation).
 */
function prefixPath(prefixPtr: usize, prefixLen: usize, pathPtr: usize, pathLen: usize): void {
  // Only an origin-form path ("/…") takes a prefix: "*" (OPTIONS) or an absolute URI stays as is.
  if (pathLen == 0 || load<u8>(pathPtr) != 0x2f) {
    freeHostBytes(pathPtr);
    return;
  }
  let scratch = scratchRoom(pathScratch, prefixLen + pathLen + 1);
  memory.copy(scratch, prefixPtr, prefixLen);
  let q: usize = 0;
  while (q < pathLen && load<u8>(pathPtr + q) != 0x3f) q++; // the query starts at '?'
  let o = prefixLen;
  let i: usize = 0;
  let slash = false; // ends with a separator or a dot-segment
  while (i < q) {
    let s = sepLen(pathPtr, i, q);
    if (s != 0) {
      i += s;
      slash = true;
      continue;
    }
    let start = i;
    let dots = 0;
    let other = false;
    while (i < q && sepLen(pathPtr, i, q) == 0) {
      let c = load<u8>(pathPtr + i);
      if (c == 0x3b && !other) { // ';': parameters after dots do not matter
        while (i < q && sepLen(pathPtr, i, q) == 0) i++;
        break;
      }
      if (c == 0x2e) dots++;
      else if (c == 0x25 && i + 2 < q && load<u8>(pathPtr + i + 1) == 0x32 && (load<u8>(pathPtr + i + 2) | 32) == 0x65) { dots++; i += 2; }
      else other = true;
      i++;
    }
    if (!other && dots == 2) {
      while (o > prefixLen) { o--; if (load<u8>(scratch + o) == 0x2f) break; }
    } else if (other || dots != 1) {
      store<u8>(scratch + o++, 0x2f);
      memory.copy(scratch + o, pathPtr + start, i - start);
      o += i - start;
      slash = false;
      continue;
    }
    slash = true;
  }
  if (slash) store<u8>(scratch + o++, 0x2f);
  memory.copy(scratch + o, pathPtr + q, pathLen - q);
  o += pathLen - q;
  freeHostBytes(pathPtr);
  replaceHeaderRaw(HeaderMap.Request, PATH, PATH_LEN, scratch, o);
}
