// Routing-key extraction: which key (if any) a request carries, by the table's key sources in
// order. One file per source kind (header.ts; baggage, cookie and query are siblings to come),
// this file picks the reader for each. Looking the key up is the caller's job (filter/stream.ts).
import { RuleTable } from "../../rules/table";
import { KeySourceKind } from "../../config/model";
import { KeyBytes } from "./key";
import { headerKey } from "./header";

export { KeyBytes } from "./key";

/**
 * The key of the first source present on the request, into `out`; false when none is. One host
 * call per source tried.
 */
export function findKey(table: RuleTable, out: KeyBytes): bool {
  for (let s = 0; s < table.sourceCount; s++) {
    if (readSource(table, s, out)) return true;
  }
  return false;
}

/** Source `s`'s key into `out`, by its kind: every KeySourceKind has its case here. */
function readSource(table: RuleTable, s: i32, out: KeyBytes): bool {
  switch (<KeySourceKind>table.sourceKind(s)) {
    case KeySourceKind.Header:
      return headerKey(table.sourceNamePtr(s), table.sourceNameLen(s), out);
    default:
      // Not a KeySourceKind: the builder writes only parsed kinds, so no table holds one. A
      // request must not abort, so such a source yields no key.
      return false;
  }
}
