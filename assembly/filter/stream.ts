// The per-request path. It reads like the product: find the request's key, look its action up
// (or take the default), apply it, count it, continue; on the way back, say which decision was
// taken if asked to. Nothing here parses, builds strings (unless debug logging is on) or allocates.

import {
  Context, FilterHeadersStatusValues, LogLevelValues, HeaderMap,
  log, logEnabled, replaceHeaderRaw,
} from "../sdk";
import { RuleTable, NO_ACTION } from "../rules/table";
import { KeyBytes, findKey } from "./keys";
import { applyAction } from "./apply";
import { StreamRoot } from "./state";

/** `decision` before on_request_headers ran (or when the filter had no rules). */
const UNDECIDED: i32 = NO_ACTION - 1;

/** The request's key while it is looked up: one for all streams (see keys/key.ts). */
const key = new KeyBytes();

export class RoutekeyStream extends Context {
  private root: StreamRoot;
  /** The table this stream decided with, held until the stream ends (see RuleTable.acquire). */
  private table: RuleTable | null = null;
  /** The action taken, NO_ACTION when the request passed unchanged, or UNDECIDED. */
  private decision: i32 = UNDECIDED;

  constructor(contextId: u32, root: StreamRoot) {
    super(contextId, root);
    this.root = root;
  }

  onRequestHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
    let table = this.root.table;
    if (table === null) return FilterHeadersStatusValues.Continue;
    table.acquire();
    this.table = table;

    let action = NO_ACTION;
    if (findKey(table, key)) {
      action = table.lookup(key.ptr, key.len);
      key.release();
      if (action == NO_ACTION) this.root.metrics.countUnknownKey();
    }
    if (action == NO_ACTION) action = table.defaultAction;
    this.decision = action;
    if (action == NO_ACTION) {
      this.root.metrics.countPassthrough();
      return FilterHeadersStatusValues.Continue;
    }
    applyAction(table, action);
    this.root.metrics.countAction(action);
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
    if (action == NO_ACTION) {
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
    // Reset here, so that a pooled stream is new when it is reused (state.ts).
    this.table = null;
    this.decision = UNDECIDED;
    this.root.recycle(this);
  }
}
