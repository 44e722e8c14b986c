// The compiled rule set: everything the per-request path needs, prepared once per configuration
// and laid out in ONE raw memory block (see arena.ts). A request looks its key up in O(1) in an
// open-addressing hash table and gets an action index; the action's header operations are
// already UTF-8 bytes, ready to hand to the host without any conversion.
//
// The block's layout is declared in layout.ts. The builder writes the block; this file only
// reads it. The filter never writes a built table: decision counts and their metric ids live in
// filter/metrics.ts. Which slot a request's key and host select first is rules/match.ts's.

import { HeaderOpKind } from "../config/model";
import { hashBytes, scopedHash } from "../bytes";
import { Arena } from "./arena";
import {
  HEADER_SLOTS, HEADER_MASK, HEADER_ACTIONS, HEADER_ACTION_COUNT, HEADER_DEFAULT, HEADER_SOURCES,
  HEADER_SOURCE_COUNT, HEADER_DECISION, HEADER_NONE, HEADER_UNKNOWN, HEADER_HOSTS, HEADER_HOST_MASK,
  HEADER_PREFIX_LENGTHS, HEADER_PREFIX_COUNT, SPAN_LEN,
  SLOT_HASH, SLOT_KEY, SLOT_SCOPE, SLOT_ACTION, SLOT_SIZE, HOST_HASH, HOST_NAME, HOST_ID, HOST_SIZE,
  ACTION_OPS, ACTION_OP_COUNT, ACTION_PREFIX, ACTION_NAME, ACTION_METRIC, ACTION_SIZE,
  ACTION_RESPONSE_OPS, ACTION_RESPONSE_OP_COUNT, ACTION_REPLY_STATUS, ACTION_REPLY_BODY, ACTION_REPLY_KEY_AT,
  OP_KIND, OP_NAME, OP_VALUE, OP_SIZE, SOURCE_KIND, SOURCE_NAME, SOURCE_MEMBER, SOURCE_FLAGS, SOURCE_MAX, SOURCE_SIZE,
} from "./layout";

/**
 * "No action": what `lookup` returns for an unknown key, `defaultAction` when there is no
 * default, and what a stream decided when it passed the request unchanged. One value for all
 * three, so that "no match and no default" needs no translation on the request path.
 */
export const NO_ACTION: i32 = -1;

/** The decision header's value for a request passed unchanged. */
export const NONE_DECISION = "none";

export class RuleTable {
  private arena: Arena;
  private slotsOff: u32 = 0;
  private mask: u32 = 0;
  private actionsOff: u32 = 0;
  actionCount: i32 = 0;
  /** Index of the default action, or NO_ACTION when requests without a match pass unchanged. */
  defaultAction: i32 = NO_ACTION;
  /** The action for a key present but matching no route (the default, its own, or NO_ACTION). */
  unknownAction: i32 = NO_ACTION;
  private sourcesOff: u32 = 0;
  sourceCount: i32 = 0;
  private decisionOff: u32 = 0;
  private decisionLen: u32 = 0;
  private noneOff: u32 = 0;
  private noneLen: u32 = 0;
  private hostsOff: u32 = 0;
  private hostMask: u32 = 0;
  private prefixLengthsOff: u32 = 0;
  /** Distinct key prefix lengths (0: no route has prefixes). */
  prefixCount: i32 = 0;
  /** Streams that still point into this table (see acquire/release). */
  private refs: i32 = 0;
  private retired: bool = false;

  /** A table over a block written by TableBuilder: reads where the regions are from its header. */
  constructor(arena: Arena) {
    this.arena = arena;
    this.slotsOff = arena.getU32(HEADER_SLOTS);
    this.mask = arena.getU32(HEADER_MASK);
    this.actionsOff = arena.getU32(HEADER_ACTIONS);
    this.actionCount = <i32>arena.getU32(HEADER_ACTION_COUNT);
    let defaultAction = arena.getU32(HEADER_DEFAULT);
    this.defaultAction = defaultAction == 0 ? NO_ACTION : <i32>defaultAction - 1;
    this.unknownAction = <i32>arena.getU32(HEADER_UNKNOWN) - 1;
    this.sourcesOff = arena.getU32(HEADER_SOURCES);
    this.sourceCount = <i32>arena.getU32(HEADER_SOURCE_COUNT);
    this.decisionOff = arena.getU32(HEADER_DECISION);
    this.decisionLen = arena.getU32(HEADER_DECISION + SPAN_LEN);
    this.noneOff = arena.getU32(HEADER_NONE);
    this.noneLen = arena.getU32(HEADER_NONE + SPAN_LEN);
    this.hostsOff = arena.getU32(HEADER_HOSTS);
    this.hostMask = arena.getU32(HEADER_HOST_MASK);
    this.prefixLengthsOff = arena.getU32(HEADER_PREFIX_LENGTHS);
    this.prefixCount = <i32>arena.getU32(HEADER_PREFIX_COUNT);
  }

  /** Routes in the table (the actions before the default). */
  get routeCount(): i32 {
    if (this.defaultAction >= 0) return this.defaultAction;
    return this.unknownAction >= 0 ? this.unknownAction : this.actionCount;
  }

  /**
   * The action of the slot with scope `scope` (layout.ts) whose key is the bytes at ptr..ptr+len
   * (`hash`: their hashBytes), or NO_ACTION. Allocates nothing.
   */
  lookupIn(scope: u32, hash: u32, ptr: usize, len: usize): i32 {
    let base = this.arena.base;
    let h = scopedHash(hash, scope);
    let mask = this.mask;
    let i = h & mask;
    // Bounded: at most every slot once (the table always has free slots, so it ends earlier).
    for (let n: u32 = 0; n <= mask; n++) {
      let slot = base + this.slotsOff + i * SLOT_SIZE;
      let action = load<u32>(slot, SLOT_ACTION);
      if (action == 0) return NO_ACTION;
      if (load<u32>(slot, SLOT_HASH) == h && load<u32>(slot, SLOT_SCOPE) == scope &&
          <usize>load<u32>(slot, SLOT_KEY + SPAN_LEN) == len &&
          memory.compare(base + load<u32>(slot, SLOT_KEY), ptr, len) == 0) {
        return <i32>action - 1;
      }
      i = (i + 1) & mask;
    }
    return NO_ACTION;
  }

  /** Whether some route is scoped to hosts (only then is a request's :authority read). */
  get scoped(): bool { return this.hostMask != 0; }

  /** The id of the lower-cased host at ptr..ptr+len, or 0 when no route lists it. */
  hostId(ptr: usize, len: usize): u32 {
    let mask = this.hostMask;
    if (mask == 0) return 0;
    let base = this.arena.base;
    let h = hashBytes(ptr, len);
    let i = h & mask;
    for (let n: u32 = 0; n <= mask; n++) {
      let slot = base + this.hostsOff + i * HOST_SIZE;
      let id = load<u32>(slot, HOST_ID);
      if (id == 0) return 0;
      if (load<u32>(slot, HOST_HASH) == h && <usize>load<u32>(slot, HOST_NAME + SPAN_LEN) == len &&
          memory.compare(base + load<u32>(slot, HOST_NAME), ptr, len) == 0) {
        return id;
      }
      i = (i + 1) & mask;
    }
    return 0;
  }

  /** The i-th distinct key prefix length, longest first (i < prefixCount). */
  prefixLength(i: i32): usize { return load<u32>(this.arena.base + this.prefixLengthsOff + (<u32>i << 2)); }

  // --- readers for the per-request path (pointers are valid while the table is acquired) ---

  private actionAt(index: i32): usize {
    return this.arena.base + this.actionsOff + <u32>index * ACTION_SIZE;
  }
  opCount(action: i32): i32 { return <i32>load<u32>(this.actionAt(action), ACTION_OP_COUNT); }
  /** The record of request op `op`, for the rec* readers (op 0: where the action's ops start). */
  requestOpAt(action: i32, op: i32): usize {
    return this.arena.base + load<u32>(this.actionAt(action), ACTION_OPS) + <u32>op * OP_SIZE;
  }
  prefixPtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), ACTION_PREFIX); }
  prefixLen(action: i32): usize { return load<u32>(this.actionAt(action), ACTION_PREFIX + SPAN_LEN); }
  namePtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), ACTION_NAME); }
  nameLen(action: i32): usize { return load<u32>(this.actionAt(action), ACTION_NAME + SPAN_LEN); }
  metricNamePtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), ACTION_METRIC); }
  metricNameLen(action: i32): usize { return load<u32>(this.actionAt(action), ACTION_METRIC + SPAN_LEN); }
  /** Response header ops: records like the request ops', at `responseOpAt`. */
  responseOpCount(action: i32): i32 { return <i32>load<u32>(this.actionAt(action), ACTION_RESPONSE_OP_COUNT); }
  /** The record of response op `op`, for the rec* readers. */
  responseOpAt(action: i32, op: i32): usize {
    return this.arena.base + load<u32>(this.actionAt(action), ACTION_RESPONSE_OPS) + <u32>op * OP_SIZE;
  }
  recKind(rec: usize): HeaderOpKind { return <HeaderOpKind>load<u32>(rec, OP_KIND); }
  recNamePtr(rec: usize): usize { return this.arena.base + load<u32>(rec, OP_NAME); }
  recNameLen(rec: usize): usize { return load<u32>(rec, OP_NAME + SPAN_LEN); }
  recValuePtr(rec: usize): usize { return this.arena.base + load<u32>(rec, OP_VALUE); }
  recValueLen(rec: usize): usize { return load<u32>(rec, OP_VALUE + SPAN_LEN); }
  /** The local reply's status, or 0 when the action lets the request go on. */
  replyStatus(action: i32): u32 { return load<u32>(this.actionAt(action), ACTION_REPLY_STATUS); }
  replyBodyPtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), ACTION_REPLY_BODY); }
  replyBodyLen(action: i32): usize { return load<u32>(this.actionAt(action), ACTION_REPLY_BODY + SPAN_LEN); }
  /** Where the body's `{key}` starts; >= the body's length when it has none. */
  replyKeyAt(action: i32): usize { return load<u32>(this.actionAt(action), ACTION_REPLY_KEY_AT); }
  private sourceAt(source: i32): usize { return this.arena.base + this.sourcesOff + <u32>source * SOURCE_SIZE; }
  sourceKind(source: i32): u32 { return load<u32>(this.sourceAt(source), SOURCE_KIND); }
  sourceNamePtr(source: i32): usize { return this.arena.base + load<u32>(this.sourceAt(source), SOURCE_NAME); }
  sourceNameLen(source: i32): usize { return load<u32>(this.sourceAt(source), SOURCE_NAME + SPAN_LEN); }
  sourceMemberPtr(source: i32): usize { return this.arena.base + load<u32>(this.sourceAt(source), SOURCE_MEMBER); }
  sourceMemberLen(source: i32): usize { return load<u32>(this.sourceAt(source), SOURCE_MEMBER + SPAN_LEN); }
  sourceFlags(source: i32): u32 { return load<u32>(this.sourceAt(source), SOURCE_FLAGS); }
  sourceMaxBytes(source: i32): usize { return load<u32>(this.sourceAt(source), SOURCE_MAX); }

  hasDecisionHeader(): bool { return this.decisionLen != 0; }
  decisionNamePtr(): usize { return this.arena.base + this.decisionOff; }
  decisionNameLen(): usize { return this.decisionLen; }
  noneDecisionPtr(): usize { return this.arena.base + this.noneOff; }
  noneDecisionLen(): usize { return this.noneLen; }

  /** Bytes held in raw memory (for the benchmark's memory figures). */
  byteSize(): u32 { return this.arena.length; }

  // --- lifetime: a table replaced while streams still use it is freed by the last of them ---

  acquire(): void { this.refs++; }

  release(): void {
    this.refs--;
    if (this.retired && this.refs == 0) this.arena.release();
  }

  /** Called when a newer table replaces this one. */
  retire(): void {
    this.retired = true;
    if (this.refs == 0) this.arena.release();
  }

  // --- the rules version header (`versionHeader`): its name then this table's version, bytes in
  // a small buffer of their own (not in layout.ts's block) that lives as long as the table ---

  /** Held for its lifetime only; the request path reads the raw fields below. */
  private versionBytes: ArrayBuffer | null = null;
  private versionAt: usize = 0;
  private versionNameLen: u32 = 0;
  private versionLen: u32 = 0;

  /** Before the table is installed: header `name` (null: none) will carry `version`. */
  setVersion(name: string | null, version: string): void {
    if (name === null) return;
    let bytes = String.UTF8.encode(name + version);
    this.versionBytes = bytes;
    this.versionAt = changetype<usize>(bytes);
    this.versionNameLen = <u32>String.UTF8.byteLength(name);
    this.versionLen = <u32>String.UTF8.byteLength(version);
  }
  hasVersionHeader(): bool { return this.versionNameLen != 0; }
  versionNamePtr(): usize { return this.versionAt; }
  versionNameLength(): usize { return this.versionNameLen; }
  versionPtr(): usize { return this.versionAt + this.versionNameLen; }
  versionLength(): usize { return this.versionLen; }
}
