// What routekey sends to the client itself: the unknown-key local reply (`unknownKey.reply`), and
// the response header operations of the action a stream took (`responseHeaders`). Both read bytes
// prepared at configuration time; a reply body with `{key}` is filled into one raw scratch block.

import { RuleTable } from "../rules/table";
import { REPLY_KEY_BYTES } from "../config/action";
import { HeaderMap, sendLocalResponseRaw } from "../sdk";
import { applyHeaderOps } from "./apply";
import { SCRATCH_CELL, scratchRoom } from "../bytes";

// proxy_send_local_response's header pairs (count, sizes, then NUL-terminated name and value):
// content-type: text/plain; charset=utf-8. Envoy adds content-length.
const TEXT_PLAIN = memory.data<u8>([
  0x01, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x19, 0x00, 0x00, 0x00, 0x63, 0x6f, 0x6e, 0x74,
  0x65, 0x6e, 0x74, 0x2d, 0x74, 0x79, 0x70, 0x65, 0x00, 0x74, 0x65, 0x78, 0x74, 0x2f, 0x70, 0x6c,
  0x61, 0x69, 0x6e, 0x3b, 0x20, 0x63, 0x68, 0x61, 0x72, 0x73, 0x65, 0x74, 0x3d, 0x75, 0x74, 0x66,
  0x2d, 0x38, 0x00,
], 4);
const TEXT_PLAIN_LEN: usize = 51;
/** No header pairs (an empty body has no content type). */
const NO_PAIRS = memory.data(4, 4);
/** %RESPONSE_CODE_DETAILS% of the reply. */
const DETAILS = memory.data<u8>([
  0x72, 0x6f, 0x75, 0x74, 0x65, 0x6b, 0x65, 0x79, 0x5f, 0x75, 0x6e, 0x6b, 0x6e, 0x6f, 0x77, 0x6e,
  0x5f, 0x6b, 0x65, 0x79,
]); // "routekey_unknown_key"
const DETAILS_LEN: usize = 20;
const HEX = memory.data<u8>([0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46]);

/** The filled-in body: it grows once to the largest body the table can make. */
const bodyScratch = memory.data(SCRATCH_CELL, 4);

/**
 * Sends `action`'s local reply, its `{key}` (the first) standing for the key bytes at
 * keyPtr..+keyLen, escaped (see escapeKey). One host call; the caller returns StopIteration.
 */
export function sendReply(table: RuleTable, action: i32, keyPtr: usize, keyLen: usize): void {
  let body = table.replyBodyPtr(action);
  let n = table.replyBodyLen(action);
  let at = table.replyKeyAt(action);
  let out = body;
  let len = n;
  if (at < n) {
    let scratch = scratchRoom(bodyScratch, n + REPLY_KEY_BYTES);
    memory.copy(scratch, body, at);
    let end = escapeKey(keyPtr, keyLen, scratch + at);
    let rest = n - at - 5; // after "{key}"
    memory.copy(end, body + at + 5, rest);
    out = scratch;
    len = end + rest - scratch;
  }
  sendLocalResponseRaw(table.replyStatus(action), DETAILS, DETAILS_LEN, out, len,
    n != 0 ? TEXT_PLAIN : NO_PAIRS, n != 0 ? TEXT_PLAIN_LEN : 4);
}

/**
 * Writes the key at `dst`, returning the end: printable ASCII stays as it is except `<>&"'%`,
 * which with every other byte (controls, CR, LF, non-ASCII, invalid UTF-8) become `%XX`. At most
 * REPLY_KEY_BYTES: when the escaped key is longer than that less 3, it is cut there (never
 * inside an escape) and ends in "...".
 */
function escapeKey(ptr: usize, len: usize, dst: usize): usize {
  let o = dst;
  let limit = dst + REPLY_KEY_BYTES - 3;
  let i: usize = 0;
  for (; i < len; i++) {
    let c = load<u8>(ptr + i);
    if (plain(c)) {
      if (o + 1 > limit) break;
      store<u8>(o++, c);
    } else {
      if (o + 3 > limit) break;
      store<u8>(o, 0x25);
      store<u8>(o + 1, load<u8>(HEX + (c >> 4)));
      store<u8>(o + 2, load<u8>(HEX + (c & 15)));
      o += 3;
    }
  }
  if (i < len) {
    store<u8>(o, 0x2E); store<u8>(o + 1, 0x2E); store<u8>(o + 2, 0x2E);
    o += 3;
  }
  return o;
}

/** Bit c of this 256-bit set: byte c stays as it is (printable ASCII but <>&"'%). */
const PLAIN = memory.data<u8>([
  0, 0, 0, 0, 0x1B, 0xFF, 0xFF, 0xAF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

// @ts-ignore: decorator
@inline function plain(c: u8): bool {
  return (load<u8>(PLAIN + (c >> 3)) >> (c & 7) & 1) != 0;
}

/** `action`'s response header operations, in order (one host call each). */
export function applyResponseOps(table: RuleTable, action: i32): void {
  applyHeaderOps(table, HeaderMap.Response, table.responseOpAt(action, 0), table.responseOpCount(action));
}
