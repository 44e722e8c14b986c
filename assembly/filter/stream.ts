// The per-request path. It reads like the product: find the key's action (or the default), apply
// it, count it, continue; on the way back, say which decision was taken if asked to.
// Nothing here parses, builds strings (unless debug logging is on) or allocates.

import {
  Context, FilterHeadersStatusValues, LogLevelValues, HeaderMap,
  log, logEnabled, replaceHeaderRaw,
} from "../sdk";
import { RuleTable } from "../rules/table";
import { findAction } from "./keys";
import { applyAction } from "./apply";
import { RoutekeyRoot } from "./root";

/** `decision` before on_request_headers ran (or when the filter had no rules). */
const UNDECIDED: i32 = -2;
/** `decision` for a request passed unchanged. */
const PASSTHROUGH: i32 = -1;

export class RoutekeyStream extends Context {
  private root: RoutekeyRoot;
  /** The table this stream decided with, held until the stream ends (see RuleTable.acquire). */
  private table: RuleTable | null = null;
  private decision: i32 = UNDECIDED;

  constructor(contextId: u32, root: RoutekeyRoot) {
    super(contextId, root);
    this.root = root;
  }

  reuse(contextId: u32): void {
    this.context_id = contextId;
    this.table = null;
    this.decision = UNDECIDED;
  }

  onRequestHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
    let table = this.root.table;
    if (table === null) return FilterHeadersStatusValues.Continue;
    table.acquire();
    this.table = table;

    let action = findAction(table);
    if (action < 0) action = table.defaultAction;
    this.decision = action;
    if (action < 0) {
      this.root.metrics.countPassthrough();
      return FilterHeadersStatusValues.Continue;
    }
    applyAction(table, action);
    this.root.metrics.countAction(table, action);
    if (logEnabled(LogLevelValues.debug)) {
      log(LogLevelValues.debug, "routekey: stream " + this.context_id.toString() + " took route '" +
        String.UTF8.decodeUnsafe(table.namePtr(action), table.nameLen(action)) + "'");
    }
    return FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
    let table = this.table;
    if (table === null || !table.hasDecisionHeader() || this.decision == UNDECIDED) {
      return FilterHeadersStatusValues.Continue;
    }
    let action = this.decision;
    if (action == PASSTHROUGH) {
      replaceHeaderRaw(HeaderMap.Response, table.decisionNamePtr(), table.decisionNameLen(),
        table.noneDecisionPtr(), table.noneDecisionLen());
    } else {
      replaceHeaderRaw(HeaderMap.Response, table.decisionNamePtr(), table.decisionNameLen(),
        table.namePtr(action), table.nameLen(action));
    }
    return FilterHeadersStatusValues.Continue;
  }

  onDelete(): void {
    let table = this.table;
    if (table !== null) table.release();
    this.table = null;
    this.root.recycle(this);
  }
}
