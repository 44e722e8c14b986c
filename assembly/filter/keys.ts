// Routing-key extraction: which rule (if any) a request's key selects.

import { RuleTable } from "../rules/table";
import { KeySourceKind } from "../config/model";
import { HeaderMap, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes } from "../sdk";

/**
 * The action index selected by the first key source present on the request, or -1 when no
 * source is present or the key matches no route. One host call per source tried; the key's
 * bytes are looked up where the host put them and freed straight away.
 */
export function findAction(table: RuleTable): i32 {
  for (let s = 0; s < table.sourceCount; s++) {
    let kind = table.sourceKind(s);
    if (kind != <u32>KeySourceKind.Header) continue;
    if (!getHeaderRaw(HeaderMap.Request, table.sourceNamePtr(s), table.sourceNameLen(s))) continue;
    let ptr = hostBytesPtr();
    let len = hostBytesLen();
    // An empty value counts as absent: older Envoys answer Ok/"" for a missing header.
    if (len == 0) {
      freeHostBytes(ptr);
      continue;
    }
    let action = table.lookup(ptr, len);
    freeHostBytes(ptr);
    return action;
  }
  return -1;
}
