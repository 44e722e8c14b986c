// Routing-key extraction: which key (if any) a request carries, by the table's key sources in
// order. One file per source kind (header.ts, baggage.ts, tracestate.ts, cookie.ts, query.ts);
// this file reads the source's header once, picks the parser for its kind and applies the
// source's normalisation and length limit. Looking the key up is the caller's job
// (filter/stream.ts).
import { RuleTable } from "../../rules/table";
import { KeySourceKind, SOURCE_LOWERCASE, SOURCE_TRIM } from "../../config/model";
import { skipOws, trimOwsEnd, lowerInPlace } from "../../bytes/scan";
import { KeyBytes, NO_SPAN } from "./key";
import { headerKey } from "./header";
import { baggageMember } from "./baggage";
import { tracestateMember } from "./tracestate";
import { cookieValue } from "./cookie";
import { queryParam } from "./query";

export { KeyBytes } from "./key";

/**
 * The key of the first source that yields one, into `out`: that source's index, or -1 when none
 * does. One host call per source tried.
 */
export function findKey(table: RuleTable, out: KeyBytes): i32 {
  for (let s = 0; s < table.sourceCount; s++) {
    if (readSource(table, s, out)) return s;
  }
  return -1;
}

/** Source `s`'s key into `out`, by its kind: every KeySourceKind has its case here. */
function readSource(table: RuleTable, s: i32, out: KeyBytes): bool {
  if (!headerKey(table.sourceNamePtr(s), table.sourceNameLen(s), out)) return false;
  let ptr = out.ptr, len = out.len;
  let found = memberSpan(<KeySourceKind>table.sourceKind(s), ptr, len, table.sourceMemberPtr(s), table.sourceMemberLen(s));
  if (found == NO_SPAN) {
    out.release();
    return false;
  }
  let start = ptr + <usize>(found >>> 32);
  let end = start + <usize>(found & 0xFFFFFFFF);
  let flags = table.sourceFlags(s);
  if (flags & SOURCE_TRIM) {
    let i = skipOws(start, 0, end - start);
    end = start + trimOwsEnd(start, i, end - start);
    start += i;
  }
  if (flags & SOURCE_LOWERCASE) lowerInPlace(start, end - start);
  if (end == start || end - start > table.sourceMaxBytes(s)) {
    out.release();
    return false;
  }
  out.hold(ptr, start, end - start);
  return true;
}

/** The key's part of the header value at ptr..ptr+len for a source of `kind`; NO_SPAN for none. */
function memberSpan(kind: KeySourceKind, ptr: usize, len: usize, namePtr: usize, nameLen: usize): i64 {
  switch (kind) {
    case KeySourceKind.Header: return <i64>len;
    case KeySourceKind.Baggage: return baggageMember(ptr, len, namePtr, nameLen);
    case KeySourceKind.Tracestate: return tracestateMember(ptr, len, namePtr, nameLen);
    case KeySourceKind.Cookie: return cookieValue(ptr, len, namePtr, nameLen);
    case KeySourceKind.Query: return queryParam(ptr, len, namePtr, nameLen);
    default:
      // Not a KeySourceKind: the builder writes only parsed kinds, so no table holds one. A
      // request must not abort, so such a source yields no key.
      return NO_SPAN;
  }
}
