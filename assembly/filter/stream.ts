// The per-request path. It reads like the product: find the request's key, look its action up
// for the request's host (or take the default, or the unknown-key policy's), apply it (or answer
// locally), count it, continue; on the way back, say which decision was taken if asked to.
// Nothing here parses, builds strings (unless debug logging is on) or allocates.

import {
  Context, FilterHeadersStatusValues, LogLevelValues, HeaderMap,
  log, logEnabled, replaceHeaderRaw,
} from "../sdk";
import { RuleTable, NO_ACTION } from "../rules/table";
import { matchKey } from "../rules/match";
import { KeyBytes, findKey } from "./keys";
import { RequestHost, readRequestHost } from "./host";
import { applyAction } from "./apply";
import { applyResponseOps, sendReply } from "./respond";
import { StreamRoot } from "./state";

/** `decision` before on_request_headers ran (or when the filter had no rules). */
const UNDECIDED: i32 = NO_ACTION - 1;

/** The request's key while it is looked up: one for all streams (see keys/key.ts). */
const key = new KeyBytes();
/** The request's host ids, for host-scoped routes: one for all streams, like the key. */
const host = new RequestHost();

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

    // No key: the default. A key that matches no route: the unknown-key policy's action.
    let action = table.defaultAction;
    let source = findKey(table, key);
    if (source >= 0) {
      this.root.metrics.countKeySource(source);
      readRequestHost(table, host);
      action = matchKey(table, key.ptr, key.len, host.id, host.bareId);
      if (action == NO_ACTION) {
        this.root.metrics.countUnknownKey();
        action = table.unknownAction;
      }
    }
    this.decision = action;
    if (action == NO_ACTION) {
      key.release();
      this.root.metrics.countPassthrough();
      return FilterHeadersStatusValues.Continue;
    }
    // Only the unknown-key action replies, so a key is held then (its bytes go into the body).
    let replied = table.replyStatus(action) != 0;
    if (replied) {
      sendReply(table, action, key.ptr, key.len);
      this.root.metrics.countLocalReply();
    } else if (!applyAction(table, action)) this.root.metrics.countPathTooLong();
    key.release();
    this.root.metrics.countAction(action);
    if (logEnabled(LogLevelValues.debug)) {
      log(LogLevelValues.debug, "routekey: stream " + this.context_id.toString() + " took route '" +
        String.UTF8.decodeUnsafe(table.namePtr(action), table.nameLen(action)) + "'");
    }
    // After a local reply Envoy wants the stream stopped; it sends the reply when this returns.
    return replied ? FilterHeadersStatusValues.StopIteration : FilterHeadersStatusValues.Continue;
  }

  onResponseHeaders(_headers: u32, _endOfStream: bool): FilterHeadersStatusValues {
    // Also for routekey's own local reply: Envoy runs it through the encoder filters.
    let table = this.table;
    let action = this.decision;
    if (table === null || action == UNDECIDED) return FilterHeadersStatusValues.Continue;
    if (table.hasDecisionHeader()) {
      let none = action == NO_ACTION;
      replaceHeaderRaw(HeaderMap.Response, table.decisionNamePtr(), table.decisionNameLen(),
        none ? table.noneDecisionPtr() : table.namePtr(action), none ? table.noneDecisionLen() : table.nameLen(action));
    }
    // The version of the table this stream decided with, not of the one in force now.
    if (table.hasVersionHeader()) {
      replaceHeaderRaw(HeaderMap.Response, table.versionNamePtr(), table.versionNameLength(),
        table.versionPtr(), table.versionLength());
    }
    if (action != NO_ACTION) applyResponseOps(table, action);
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
