// The compiled rule set: everything the per-request path needs, prepared once per configuration
// and laid out in ONE raw memory block (see arena.ts). A request looks its key up in O(1) in an
// open-addressing hash table and gets an action index; the action's header operations are
// already UTF-8 bytes, ready to hand to the host without any conversion.
//
//   header  [44 B]             slotsOff | mask | actionsOff | actionCount | defaultAction+1
//                              | sourcesOff | sourceCount | decisionOff | decisionLen | noneOff
//                              | noneLen
//   slots   [capacity × 16 B]  hash | keyOff | keyLen | action+1 (0 = empty)
//   actions [count × 40 B]     opsOff | opsCount | prefixOff | prefixLen | nameOff | nameLen
//                              | metricOff | metricLen | metricId+1 (0 = not defined yet) | -
//   then, in the order rules/builder.ts wrote them:
//   ops     [n × 20 B]         per action: kind | nameOff | nameLen | valueOff | valueLen
//   sources [n × 12 B]         kind | nameOff | nameLen
//   bytes                      the strings, UTF-8, shared where equal (a header name many routes
//                              set; a route name, which is the end of its metric name)
//
// The builder writes the block; this file only reads it. The table is immutable once built,
// except each action's metric id, which the host gives the first time the action is taken
// (defining one metric per route up front would cost Envoy a stat per route even for routes never
// used).

import { Config, HeaderOpKind } from "../config/model";
import { ConfigSizes } from "../config/sizes";
import { Arena } from "./arena";
import { TableBuilder } from "./builder";
import { hashBytes } from "./hash";

export const HEADER_SIZE: u32 = 44;
export const SLOT_SIZE: u32 = 16;
export const ACTION_SIZE: u32 = 40;
export const OP_SIZE: u32 = 20;
export const SOURCE_SIZE: u32 = 12;

/** Metric name of a route action: Envoy stats_tags turn the last part into a `route` label. */
export const ROUTED_METRIC_PREFIX = "routekey.routed.route.";
export const DEFAULT_METRIC = "routekey.default";
export const PASSTHROUGH_METRIC = "routekey.passthrough";
export const NONE_DECISION = "none";

/** Whether a character may appear in a stat name as is: [A-Za-z0-9_-]. */
export function isMetricSafe(c: i32): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95;
}

/** What metricSafe() may add to a name: "_" and 8 hex digits. */
export const METRIC_HASH_LENGTH: u32 = 9;

/**
 * `name` as it may stand in a stat name: unchanged when it is all [A-Za-z0-9_-] (every native
 * route name); otherwise every other character becomes `_` and a hash of the original is added,
 * so that original-form values such as "a.b" and "a/b" keep separate counters.
 */
export function metricSafe(name: string): string {
  let safe = true;
  for (let i = 0; i < name.length; i++) {
    if (!isMetricSafe(name.charCodeAt(i))) {
      safe = false;
      break;
    }
  }
  if (safe) return name;
  // Rare (only original-form values need it): rebuild once, character by character.
  let s = "";
  let h: u32 = 0x811c9dc5; // FNV-1a over the UTF-16 code units
  for (let j = 0; j < name.length; j++) {
    let d = name.charCodeAt(j);
    s += isMetricSafe(d) ? String.fromCharCode(d) : "_";
    h = (h ^ <u32>d) * 0x01000193;
  }
  return s + "_" + h.toString(16).padStart(8, "0");
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

  /** A table over a block written by TableBuilder: reads where the regions are from its header. */
  constructor(arena: Arena) {
    this.arena = arena;
    this.slotsOff = arena.getU32(0);
    this.mask = arena.getU32(4);
    this.actionsOff = arena.getU32(8);
    this.actionCount = <i32>arena.getU32(12);
    this.defaultAction = <i32>arena.getU32(16) - 1;
    this.sourcesOff = arena.getU32(20);
    this.sourceCount = <i32>arena.getU32(24);
    this.decisionOff = arena.getU32(28);
    this.decisionLen = arena.getU32(32);
    this.noneOff = arena.getU32(36);
    this.noneLen = arena.getU32(40);
  }

  /**
   * Compiles a parsed configuration (a Config: tests and tools; the filter compiles straight from
   * the document, rules/compile.ts). Never fails: the parser has validated everything.
   */
  static compile(config: Config): RuleTable {
    let routes = config.routes;
    let sizes = new ConfigSizes(); // counts only: the block grows for the text
    sizes.routes = routes.length;
    for (let i = 0; i < routes.length; i++) sizes.keys += unchecked(routes[i]).keys.length;
    let builder = new TableBuilder();
    builder.begin(sizes);
    for (let i = 0; i < routes.length; i++) builder.route(unchecked(routes[i]));
    builder.end(config.keySources, config.defaultAction, config.decisionHeader);
    return builder.table!;
  }

  /** Routes in the table (the actions before the default). */
  get routeCount(): i32 {
    return this.defaultAction >= 0 ? this.defaultAction : this.actionCount;
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
