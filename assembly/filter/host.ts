// The request's host, for host-scoped routes (rules/match.ts): `:authority`, read once and only
// when the table has such routes and the request has a key. It is matched the way Envoy matches
// virtual-host domains, case-insensitively: lower-cased in place in the host's block, then looked
// up as sent and without its port (a route listing `svc-a` applies to `svc-a:8080` too; one
// listing `svc-a:8080` only to that port). Nothing is kept: the ids are all the lookup needs.
import { HeaderMap, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes } from "../sdk";
import { lowerInPlace } from "../bytes";
import { RuleTable } from "../rules/table";

const AUTHORITY = memory.data<u8>([0x3a, 0x61, 0x75, 0x74, 0x68, 0x6f, 0x72, 0x69, 0x74, 0x79]); // ":authority"
const AUTHORITY_LEN: usize = 10;

/** The request's host ids (0: no route lists it); one for all streams, like the key. */
export class RequestHost {
  /** The host as sent, port included. */
  id: u32 = 0;
  /** The host without its port (equal to `id` when it has none). */
  bareId: u32 = 0;
}

/** Reads `:authority` into `out` (both ids 0 when the table has no host-scoped routes). */
export function readRequestHost(table: RuleTable, out: RequestHost): void {
  out.id = 0;
  out.bareId = 0;
  if (!table.scoped || !getHeaderRaw(HeaderMap.Request, AUTHORITY, AUTHORITY_LEN)) return;
  let ptr = hostBytesPtr();
  let len = hostBytesLen();
  lowerInPlace(ptr, len);
  out.id = table.hostId(ptr, len);
  let bare = hostLength(ptr, len);
  out.bareId = bare == len ? out.id : table.hostId(ptr, bare);
  freeHostBytes(ptr);
}

/**
 * The length of the authority at ptr..ptr+len without its port: up to its last `:`, unless a `]`
 * comes after it (an IPv6 literal). Envoy's own rule (HeaderUtility::getPortStart): `cart:` is
 * `cart`, and the port is not checked.
 */
export function hostLength(ptr: usize, len: usize): usize {
  for (let i = len; i > 0; i--) {
    let c = load<u8>(ptr + i - 1);
    if (c == 0x5d) return len; // "]": no port after an IPv6 literal's last ":"
    if (c == 0x3a) return i - 1;
  }
  return len;
}
