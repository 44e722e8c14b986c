// The compiled rule set: everything the per-request path needs, prepared once per configuration
// and laid out in ONE raw memory block (see arena.ts). A request looks its key up in O(1) in an
// open-addressing hash table and gets an action index; the action's header operations are
// already UTF-8 bytes, ready to hand to the host without any conversion.
//
//   slots   [capacity × 16 B]  hash | keyOff | keyLen | action+1 (0 = empty)
//   actions [count × 40 B]     opsOff | opsCount | prefixOff | prefixLen | nameOff | nameLen
//                              | metricOff | metricLen | metricId+1 (0 = not defined yet) | -
//   ops     [n × 20 B]         kind | nameOff | nameLen | valueOff | valueLen
//   sources [n × 12 B]         kind | nameOff | nameLen
//   bytes                      every string, UTF-8
//
// The table is immutable once built, except each action's metric id, which the host gives the
// first time the action is taken (defining one metric per route up front would cost Envoy a stat
// per route even for routes never used).

import { Action, Config, HeaderOp, HeaderOpKind, KeySource } from "../config/model";
import { Arena, utf8Length } from "./arena";
import { hashBytes } from "./hash";

const SLOT_SIZE: u32 = 16;
const ACTION_SIZE: u32 = 40;
const OP_SIZE: u32 = 20;
const SOURCE_SIZE: u32 = 12;

/** Metric name of a route action: Envoy stats_tags turn the last part into a `route` label. */
export const ROUTED_METRIC_PREFIX = "routekey.routed.route.";
export const DEFAULT_METRIC = "routekey.default";
export const PASSTHROUGH_METRIC = "routekey.passthrough";
export const DEFAULT_DECISION = "default";
export const NONE_DECISION = "none";

/** `name` with every character outside [A-Za-z0-9_-] replaced by `_`, safe inside a stat name. */
export function metricSafe(name: string): string {
  let out = name;
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    let ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95;
    if (!ok) {
      // Rare (only legacy-form values need it): rebuild once, character by character.
      let s = "";
      for (let j = 0; j < name.length; j++) {
        let d = name.charCodeAt(j);
        let keep = (d >= 48 && d <= 57) || (d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d == 45 || d == 95;
        s += keep ? String.fromCharCode(d) : "_";
      }
      return s;
    }
  }
  return out;
}

export class RuleTable {
  private arena: Arena;
  private slotsOff: u32 = 0;
  private mask: u32 = 0;
  private actionsOff: u32 = 0;
  actionCount: i32 = 0;
  /** Index of the default action, or -1 when requests without a match pass unchanged. */
  defaultAction: i32 = -1;
  private sourcesOff: u32 = 0;
  sourceCount: i32 = 0;
  private decisionOff: u32 = 0;
  private decisionLen: u32 = 0;
  private noneOff: u32 = 0;
  private noneLen: u32 = 0;
  /** Streams that still point into this table (see acquire/release). */
  private refs: i32 = 0;
  private retired: bool = false;

  private constructor(arena: Arena) {
    this.arena = arena;
  }

  /** Compiles a parsed configuration. Never fails: the parser has validated everything. */
  static compile(config: Config): RuleTable {
    let routes = config.routes;
    let keyCount: u32 = 0;
    for (let i = 0; i < routes.length; i++) keyCount += <u32>unchecked(routes[i]).keys.length;

    // Capacity: a power of two at least twice the key count keeps probe chains short.
    let capacity: u32 = 8;
    while (capacity < keyCount * 2) capacity <<= 1;

    let arena = new Arena(capacity * SLOT_SIZE + 1024);
    let t = new RuleTable(arena);
    t.slotsOff = arena.reserve(capacity * SLOT_SIZE);
    t.mask = capacity - 1;

    let hasDefault = config.defaultAction !== null;
    let actionCount = routes.length + (hasDefault ? 1 : 0);
    t.actionsOff = arena.reserve(<u32>actionCount * ACTION_SIZE);
    for (let i = 0; i < routes.length; i++) {
      let route = unchecked(routes[i]);
      t.writeAction(i, route.action, ROUTED_METRIC_PREFIX + metricSafe(route.name));
    }
    if (hasDefault) {
      t.writeAction(routes.length, changetype<Action>(config.defaultAction), DEFAULT_METRIC);
      t.defaultAction = routes.length;
    }
    t.actionCount = actionCount;

    for (let i = 0; i < routes.length; i++) {
      let keys = unchecked(routes[i]).keys;
      for (let k = 0; k < keys.length; k++) t.insertKey(unchecked(keys[k]), <u32>i);
    }

    let sources = config.keySources;
    t.sourcesOff = arena.reserve(<u32>sources.length * SOURCE_SIZE);
    for (let i = 0; i < sources.length; i++) {
      let source: KeySource = unchecked(sources[i]);
      let at = t.sourcesOff + <u32>i * SOURCE_SIZE;
      let nameOff = arena.putString(source.name);
      arena.setU32(at, <u32>source.kind);
      arena.setU32(at + 4, nameOff);
      arena.setU32(at + 8, utf8Length(source.name));
    }
    t.sourceCount = sources.length;

    let decision = config.decisionHeader;
    if (decision !== null) {
      t.decisionOff = arena.putString(decision);
      t.decisionLen = utf8Length(decision);
      t.noneOff = arena.putString(NONE_DECISION);
      t.noneLen = utf8Length(NONE_DECISION);
    }
    return t;
  }

  private writeAction(index: i32, action: Action, metricName: string): void {
    let arena = this.arena;
    // The destination's :authority comes first, so explicit Host operations override it.
    let authority = action.authority;
    let ops = action.headerOps;
    let opCount = ops.length + (authority !== null ? 1 : 0);
    let opsOff = arena.reserve(<u32>opCount * OP_SIZE);
    let o: u32 = 0;
    if (authority !== null) {
      this.writeOp(opsOff, new HeaderOp(HeaderOpKind.Set, ":authority", authority));
      o++;
    }
    for (let i = 0; i < ops.length; i++, o++) {
      this.writeOp(opsOff + o * OP_SIZE, unchecked(ops[i]));
    }

    let prefix = action.pathPrefix;
    let prefixOff: u32 = 0;
    let prefixLen: u32 = 0;
    if (prefix !== null) {
      prefixOff = arena.putString(prefix);
      prefixLen = utf8Length(prefix);
    }
    let nameOff = arena.putString(action.name);
    let metricOff = arena.putString(metricName);

    let at = this.actionsOff + <u32>index * ACTION_SIZE;
    arena.setU32(at, opsOff);
    arena.setU32(at + 4, <u32>opCount);
    arena.setU32(at + 8, prefixOff);
    arena.setU32(at + 12, prefixLen);
    arena.setU32(at + 16, nameOff);
    arena.setU32(at + 20, utf8Length(action.name));
    arena.setU32(at + 24, metricOff);
    arena.setU32(at + 28, utf8Length(metricName));
    arena.setU32(at + 32, 0);
  }

  private writeOp(at: u32, op: HeaderOp): void {
    let arena = this.arena;
    let nameOff = arena.putString(op.name);
    let valueOff = arena.putString(op.value);
    arena.setU32(at, <u32>op.kind);
    arena.setU32(at + 4, nameOff);
    arena.setU32(at + 8, utf8Length(op.name));
    arena.setU32(at + 12, valueOff);
    arena.setU32(at + 16, utf8Length(op.value));
  }

  private insertKey(key: string, action: u32): void {
    let arena = this.arena;
    let keyOff = arena.putString(key);
    let keyLen = utf8Length(key);
    let h = hashBytes(arena.base + keyOff, keyLen);
    let i = h & this.mask;
    // The table is at most half full, so a free slot is always found.
    while (arena.getU32(this.slotsOff + i * SLOT_SIZE + 12) != 0) i = (i + 1) & this.mask;
    let at = this.slotsOff + i * SLOT_SIZE;
    arena.setU32(at, h);
    arena.setU32(at + 4, keyOff);
    arena.setU32(at + 8, keyLen);
    arena.setU32(at + 12, action + 1);
  }

  /** The action index for the key bytes at ptr..ptr+len, or -1. Allocates nothing. */
  lookup(ptr: usize, len: usize): i32 {
    let base = this.arena.base;
    let h = hashBytes(ptr, len);
    let mask = this.mask;
    let i = h & mask;
    // Bounded: at most every slot once (the table always has free slots, so it ends earlier).
    for (let n: u32 = 0; n <= mask; n++) {
      let slot = base + this.slotsOff + i * SLOT_SIZE;
      let action = load<u32>(slot, 12);
      if (action == 0) return -1;
      if (load<u32>(slot) == h && <usize>load<u32>(slot, 8) == len &&
          memory.compare(base + load<u32>(slot, 4), ptr, len) == 0) {
        return <i32>action - 1;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  // --- readers for the per-request path (pointers are valid while the table is acquired) ---

  private actionAt(index: i32): usize {
    return this.arena.base + this.actionsOff + <u32>index * ACTION_SIZE;
  }
  opCount(action: i32): i32 { return <i32>load<u32>(this.actionAt(action), 4); }
  private opAt(action: i32, op: i32): usize {
    return this.arena.base + load<u32>(this.actionAt(action)) + <u32>op * OP_SIZE;
  }
  opKind(action: i32, op: i32): HeaderOpKind { return <HeaderOpKind>load<u32>(this.opAt(action, op)); }
  opNamePtr(action: i32, op: i32): usize { return this.arena.base + load<u32>(this.opAt(action, op), 4); }
  opNameLen(action: i32, op: i32): usize { return load<u32>(this.opAt(action, op), 8); }
  opValuePtr(action: i32, op: i32): usize { return this.arena.base + load<u32>(this.opAt(action, op), 12); }
  opValueLen(action: i32, op: i32): usize { return load<u32>(this.opAt(action, op), 16); }
  prefixPtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), 8); }
  prefixLen(action: i32): usize { return load<u32>(this.actionAt(action), 12); }
  namePtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), 16); }
  nameLen(action: i32): usize { return load<u32>(this.actionAt(action), 20); }
  metricNamePtr(action: i32): usize { return this.arena.base + load<u32>(this.actionAt(action), 24); }
  metricNameLen(action: i32): usize { return load<u32>(this.actionAt(action), 28); }
  /** The host's metric id for this action, or -1 when it has not been defined yet. */
  metricId(action: i32): i64 {
    let v = load<u32>(this.actionAt(action), 32);
    return v == 0 ? -1 : <i64>(v - 1);
  }
  setMetricId(action: i32, id: u32): void { store<u32>(this.actionAt(action), id + 1, 32); }

  sourceKind(source: i32): u32 { return load<u32>(this.arena.base + this.sourcesOff + <u32>source * SOURCE_SIZE); }
  sourceNamePtr(source: i32): usize {
    return this.arena.base + load<u32>(this.arena.base + this.sourcesOff + <u32>source * SOURCE_SIZE, 4);
  }
  sourceNameLen(source: i32): usize { return load<u32>(this.arena.base + this.sourcesOff + <u32>source * SOURCE_SIZE, 8); }

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
}
