// Writes a rule table's block (layout: layout.ts). The builder is a ConfigSink (config/sink.ts):
// the parser hands it each route as soon as the route is valid, and the route goes straight into
// the block — a 100k-route configuration never exists as 100k Route objects at once.
//
// The block is sized once, up front, from what the document holds (config/sizes.ts), because
// growing it copies it: the old and the new block at once, when memory is fullest. At the end it
// is shrunk to what was used.

import { Action, HeaderOp, HeaderOpKind, KeySource, Route, UnknownKeyPolicy } from "../config/model";
import { REPLY_KEY } from "../config/action";
import { ConfigSink } from "../config/sink";
import { ConfigSizes } from "../config/sizes";
import { hashBytes, scopedHash } from "../bytes";
import { Arena, utf8Length } from "./arena";
import { RuleTable, NO_ACTION, NONE_DECISION } from "./table";
import { ROUTED_METRIC_PREFIX, DEFAULT_METRIC, METRIC_HASH_LENGTH, metricSafe } from "./metric";
import {
  HEADER_SLOTS, HEADER_MASK, HEADER_ACTIONS, HEADER_ACTION_COUNT, HEADER_DEFAULT, HEADER_SOURCES,
  HEADER_SOURCE_COUNT, HEADER_DECISION, HEADER_NONE, HEADER_UNKNOWN, HEADER_HOSTS, HEADER_HOST_MASK,
  HEADER_PREFIX_LENGTHS, HEADER_PREFIX_COUNT, HEADER_SIZE, SPAN_LEN,
  SLOT_HASH, SLOT_KEY, SLOT_SCOPE, SLOT_ACTION, SLOT_SIZE, SCOPE_PREFIX, HOST_HASH, HOST_NAME, HOST_ID, HOST_SIZE,
  ACTION_OPS, ACTION_OP_COUNT, ACTION_PREFIX, ACTION_NAME, ACTION_METRIC, ACTION_SIZE,
  ACTION_RESPONSE_OPS, ACTION_RESPONSE_OP_COUNT, ACTION_REPLY_STATUS, ACTION_REPLY_BODY, ACTION_REPLY_KEY_AT,
  OP_KIND, OP_NAME, OP_VALUE, OP_SIZE, SOURCE_KIND, SOURCE_NAME, SOURCE_MEMBER, SOURCE_FLAGS, SOURCE_MAX, SOURCE_SIZE,
} from "./layout";

const AUTHORITY = ":authority";

/** Distinct header names written once and shared (beyond that, each operation has its own copy). */
const SHARED_NAMES = 256;

export class TableBuilder extends ConfigSink {
  /** The finished table, once `end` ran. */
  table: RuleTable | null = null;
  /** What `end` was given: a rules document fetched later is compiled with the same. */
  keySources: KeySource[] = [];
  decisionHeader: string | null = null;
  /** Bytes the block was sized for by `begin`: the table grew (a copy) if it used more. */
  planned: u32 = 0;
  private arena: Arena | null = null;
  private slotsOff: u32 = 0;
  private mask: u32 = 0;
  private actionsOff: u32 = 0;
  /** The distinct hosts routes list (lower-cased) → id 1, 2, …; their slots are written by `end`. */
  private hostIds: Map<string, u32> = new Map<string, u32>();
  /** The distinct prefix lengths seen (the parser allows MAX_PREFIX_LENGTHS). */
  private prefixLengths: u32[] = [];
  /** Routes announced by `begin`, and written so far. */
  private announced: i32 = 0;
  private written: i32 = 0;
  /** Header names already in the block → their offset: most routes set the same few headers. */
  private names: Map<string, u32> = new Map<string, u32>();

  begin(sizes: ConfigSizes): void {
    if (this.arena !== null) return;
    let routes = sizes.routes;
    // Capacity: a power of two at least twice the key count keeps probe chains short.
    let capacity: u32 = 8;
    while (capacity < <u32>sizes.keys * 2) capacity <<= 1;
    // The host slots go at the end (`end` knows how many distinct hosts there are); room for
    // every listing is planned, and what the distinct ones leave is given back by `shrink`.
    let hostCapacity: u32 = 0;
    if (sizes.hosts > 0) {
      hostCapacity = 8;
      while (hostCapacity < <u32>sizes.hosts * 2) hostCapacity <<= 1;
    }
    let fixed = HEADER_SIZE + capacity * SLOT_SIZE + hostCapacity * HOST_SIZE + <u32>(routes + 2) * ACTION_SIZE;
    // Beyond the text: per action its operations and up to 3 bytes aligning them, per route the
    // metric prefix and a possible hash suffix (metricSafe); the constants (":authority", "default", its metric, "none", the sources'
    // records, the prefix lengths) fit in the last term.
    let variable = sizes.textBytes + <u32>sizes.ops * OP_SIZE + <u32>(routes + 2) * 3 + 64 +
      <u32>routes * (<u32>ROUTED_METRIC_PREFIX.length + METRIC_HASH_LENGTH) + 512;
    this.planned = fixed + variable;
    let arena = new Arena(this.planned);
    arena.reserve(HEADER_SIZE);
    this.slotsOff = arena.reserve(capacity * SLOT_SIZE);
    this.mask = capacity - 1;
    this.actionsOff = arena.reserve(<u32>(routes + 2) * ACTION_SIZE);
    // Every destination sets :authority: one copy, whatever other names fill the map.
    this.names.set(AUTHORITY, arena.putString(AUTHORITY));
    this.announced = routes;
    this.arena = arena;
  }

  route(route: Route): void {
    if (this.arena === null) this.begin(new ConfigSizes());
    // More routes than announced would overwrite the regions after the actions: the parser
    // never does that, and a table must not be corrupted if it did.
    if (this.written >= this.announced) return;
    let index = this.written;
    let name = route.name;
    let metric = metricSafe(name);
    let metricOff = this.putRouteMetric(metric);
    let prefixLen = <u32>ROUTED_METRIC_PREFIX.length;
    // A name of [A-Za-z0-9_-] (every native one) is the end of its metric name: not written twice.
    let nameOff = metric == name ? metricOff + prefixLen : this.arena!.putString(name);
    this.writeAction(index, route.action, nameOff, metricOff, prefixLen + <u32>metric.length);
    // Each key and prefix once in the block, in a slot per host it is scoped to.
    let hosts = route.hosts;
    let scopes = new Array<u32>();
    if (hosts.length == 0) scopes.push(0);
    for (let h = 0; h < hosts.length; h++) scopes.push(this.hostId(unchecked(hosts[h])) << 1);
    this.insertKeys(route.keys, scopes, 0, <u32>index);
    this.insertKeys(route.prefixes, scopes, SCOPE_PREFIX, <u32>index);
    this.written = index + 1;
  }

  end(keySources: KeySource[], defaultAction: Action | null, decisionHeader: string | null): void {
    this.keySources = keySources;
    this.decisionHeader = decisionHeader;
    if (this.arena === null) this.begin(new ConfigSizes());
    let arena = this.arena!;
    let actionCount = this.written;
    let defaultIndex = NO_ACTION;
    if (defaultAction !== null) {
      defaultIndex = actionCount++;
      let metricOff = arena.putString(DEFAULT_METRIC);
      this.writeAction(defaultIndex, defaultAction, arena.putString(defaultAction.name), metricOff, utf8Length(DEFAULT_METRIC));
    }
    // A key that matches no route: the default, nothing, or the unknown-key action (a route of its own).
    let unknownIndex = this.unknownKey == UnknownKeyPolicy.Passthrough ? NO_ACTION : defaultIndex;
    let unknown = this.unknownAction;
    if (this.unknownKey == UnknownKeyPolicy.Action && unknown !== null) {
      unknownIndex = actionCount++;
      // Its name is a word: the end of its metric name, as for a native route.
      let metricOff = this.putRouteMetric(unknown.name);
      let prefixLen = <u32>ROUTED_METRIC_PREFIX.length;
      this.writeAction(unknownIndex, unknown, metricOff + prefixLen, metricOff, prefixLen + utf8Length(unknown.name));
    }

    let sourcesOff = arena.reserve(<u32>keySources.length * SOURCE_SIZE);
    for (let i = 0; i < keySources.length; i++) {
      let source = unchecked(keySources[i]);
      let at = sourcesOff + <u32>i * SOURCE_SIZE;
      let nameOff = arena.putString(source.name);
      arena.setU32(at + SOURCE_KIND, <u32>source.kind);
      setSpan(arena, at + SOURCE_NAME, nameOff, utf8Length(source.name));
      let memberOff = arena.putString(source.member);
      setSpan(arena, at + SOURCE_MEMBER, memberOff, utf8Length(source.member));
      arena.setU32(at + SOURCE_FLAGS, source.flags);
      arena.setU32(at + SOURCE_MAX, source.maxBytes);
    }

    let decisionOff: u32 = 0, decisionLen: u32 = 0, noneOff: u32 = 0, noneLen: u32 = 0;
    if (decisionHeader !== null) {
      decisionOff = arena.putString(decisionHeader);
      decisionLen = utf8Length(decisionHeader);
      noneOff = arena.putString(NONE_DECISION);
      noneLen = utf8Length(NONE_DECISION);
    }

    arena.setU32(HEADER_SLOTS, this.slotsOff);
    arena.setU32(HEADER_MASK, this.mask);
    arena.setU32(HEADER_ACTIONS, this.actionsOff);
    arena.setU32(HEADER_ACTION_COUNT, <u32>actionCount);
    arena.setU32(HEADER_DEFAULT, defaultIndex == NO_ACTION ? 0 : <u32>defaultIndex + 1);
    arena.setU32(HEADER_SOURCES, sourcesOff);
    arena.setU32(HEADER_SOURCE_COUNT, <u32>keySources.length);
    setSpan(arena, HEADER_DECISION, decisionOff, decisionLen);
    setSpan(arena, HEADER_NONE, noneOff, noneLen);
    arena.setU32(HEADER_UNKNOWN, unknownIndex == NO_ACTION ? 0 : <u32>unknownIndex + 1);
    this.writeHosts(arena);
    // Longest first: the longest matching prefix wins (rules/match.ts).
    let lengths = this.prefixLengths;
    let lengthsOff = arena.reserve(<u32>lengths.length << 2);
    for (let i = 0; i < lengths.length; i++) arena.setU32(lengthsOff + (<u32>i << 2), unchecked(lengths[i]));
    arena.setU32(HEADER_PREFIX_LENGTHS, lengthsOff);
    arena.setU32(HEADER_PREFIX_COUNT, <u32>lengths.length);
    arena.shrink();
    this.table = new RuleTable(arena);
  }

  /** Frees the block of a table that will not be finished (the configuration was refused). */
  discard(): void {
    let arena = this.arena;
    if (arena !== null && this.table === null) arena.release();
    this.arena = null;
  }

  /** Writes action `index`; its name (`action.name`) and metric name are in the block already. */
  private writeAction(index: i32, action: Action, nameOff: u32, metricOff: u32, metricLen: u32): void {
    let arena = this.arena!;
    // The destination's :authority comes first, so explicit Host operations override it.
    let authority = action.authority;
    let ops = action.headerOps;
    let opCount = ops.length + (authority !== null ? 1 : 0);
    let opsOff = arena.reserve(<u32>opCount * OP_SIZE);
    if (authority !== null) this.writeOp(opsOff, HeaderOpKind.Set, AUTHORITY, authority);
    this.writeOps(opsOff + (authority !== null ? OP_SIZE : 0), ops);
    let responseOps = action.responseOps;
    let responseOff = arena.reserve(<u32>responseOps.length * OP_SIZE);
    this.writeOps(responseOff, responseOps);
    let body = action.replyBody;
    let bodyLen = utf8Length(body);
    let bodyOff = bodyLen != 0 ? arena.putString(body) : 0;
    // The first `{key}`, as a byte offset (u32.MAX: none).
    let keyAt = body.indexOf(REPLY_KEY);
    let replyKeyAt = keyAt < 0 ? u32.MAX_VALUE : utf8Length(body.substring(0, keyAt));

    let prefix = action.pathPrefix;
    let prefixOff: u32 = 0;
    let prefixLen: u32 = 0;
    if (prefix !== null) {
      prefixOff = arena.putString(prefix);
      prefixLen = utf8Length(prefix);
    }

    let at = this.actionsOff + <u32>index * ACTION_SIZE;
    arena.setU32(at + ACTION_OPS, opsOff);
    arena.setU32(at + ACTION_OP_COUNT, <u32>opCount);
    setSpan(arena, at + ACTION_PREFIX, prefixOff, prefixLen);
    setSpan(arena, at + ACTION_NAME, nameOff, utf8Length(action.name));
    setSpan(arena, at + ACTION_METRIC, metricOff, metricLen);
    arena.setU32(at + ACTION_RESPONSE_OPS, responseOff);
    arena.setU32(at + ACTION_RESPONSE_OP_COUNT, <u32>responseOps.length);
    arena.setU32(at + ACTION_REPLY_STATUS, <u32>action.replyStatus);
    setSpan(arena, at + ACTION_REPLY_BODY, bodyOff, bodyLen);
    arena.setU32(at + ACTION_REPLY_KEY_AT, replyKeyAt);
  }

  private writeOps(at: u32, ops: HeaderOp[]): void {
    for (let i = 0; i < ops.length; i++) {
      let op: HeaderOp = unchecked(ops[i]);
      this.writeOp(at + <u32>i * OP_SIZE, op.kind, op.name, op.value);
    }
  }

  private writeOp(at: u32, kind: HeaderOpKind, name: string, value: string): void {
    let arena = this.arena!;
    let nameOff = this.putName(name);
    let valueOff = arena.putString(value);
    arena.setU32(at + OP_KIND, <u32>kind);
    setSpan(arena, at + OP_NAME, nameOff, utf8Length(name));
    setSpan(arena, at + OP_VALUE, valueOff, utf8Length(value));
  }


  /** A header name's offset, written the first time it is seen (up to SHARED_NAMES names). */
  private putName(name: string): u32 {
    let names = this.names;
    if (names.has(name)) return names.get(name);
    let offset = this.arena!.putString(name);
    if (names.size < SHARED_NAMES) names.set(name, offset);
    return offset;
  }

  /** Writes ROUTED_METRIC_PREFIX + a metricSafe() name (ASCII: one byte per character). */
  private putRouteMetric(metric: string): u32 {
    let arena = this.arena!;
    let prefixLen = ROUTED_METRIC_PREFIX.length;
    let offset = arena.take(<u32>(prefixLen + metric.length));
    let out = arena.base + offset;
    for (let i = 0; i < prefixLen; i++) store<u8>(out + <usize>i, <u8>ROUTED_METRIC_PREFIX.charCodeAt(i));
    out += <usize>prefixLen;
    for (let i = 0; i < metric.length; i++) store<u8>(out + <usize>i, <u8>metric.charCodeAt(i));
    return offset;
  }

  /** `keys` (keys or, with SCOPE_PREFIX in `kind`, prefixes) under each of `scopes`. */
  private insertKeys(keys: string[], scopes: u32[], kind: u32, action: u32): void {
    let arena = this.arena!;
    for (let k = 0; k < keys.length; k++) {
      let key = unchecked(keys[k]);
      let keyOff = arena.putString(key);
      let keyLen = utf8Length(key);
      let h = hashBytes(arena.base + keyOff, keyLen);
      for (let s = 0; s < scopes.length; s++) this.insertKey(keyOff, keyLen, h, unchecked(scopes[s]) | kind, action);
      if (kind == SCOPE_PREFIX) addLength(this.prefixLengths, keyLen);
    }
  }

  private insertKey(keyOff: u32, keyLen: u32, hash: u32, scope: u32, action: u32): void {
    let arena = this.arena!;
    let h = scopedHash(hash, scope);
    let i = h & this.mask;
    // The table is at most half full, so a free slot is found (bounded all the same).
    let n: u32 = 0;
    while (arena.getU32(this.slotsOff + i * SLOT_SIZE + SLOT_ACTION) != 0) {
      if (n++ > this.mask) return;
      i = (i + 1) & this.mask;
    }
    let at = this.slotsOff + i * SLOT_SIZE;
    arena.setU32(at + SLOT_HASH, h);
    setSpan(arena, at + SLOT_KEY, keyOff, keyLen);
    arena.setU32(at + SLOT_SCOPE, scope);
    arena.setU32(at + SLOT_ACTION, action + 1);
  }

  /** The id of `host` (lower-cased by the parser): 1, 2, … in the order hosts first appear. */
  private hostId(host: string): u32 {
    let ids = this.hostIds;
    if (ids.has(host)) return ids.get(host);
    let id = <u32>ids.size + 1;
    ids.set(host, id);
    return id;
  }

  /** The host slots, sized for the distinct hosts (none: mask 0, no host-scoped route). */
  private writeHosts(arena: Arena): void {
    let hosts = this.hostIds.keys();
    let n = <u32>hosts.length;
    let capacity: u32 = 0;
    if (n > 0) {
      capacity = 8;
      while (capacity < n * 2) capacity <<= 1;
    }
    let slotsOff = arena.reserve(capacity * HOST_SIZE);
    let mask = capacity > 0 ? capacity - 1 : 0;
    for (let k: u32 = 0; k < n; k++) {
      let host = unchecked(hosts[k]);
      let off = arena.putString(host);
      let len = utf8Length(host);
      let h = hashBytes(arena.base + off, len);
      let i = h & mask;
      // At most half full: a free slot is found within the capacity.
      for (let probe: u32 = 0; probe < capacity && arena.getU32(slotsOff + i * HOST_SIZE + HOST_ID) != 0; probe++) i = (i + 1) & mask;
      let at = slotsOff + i * HOST_SIZE;
      arena.setU32(at + HOST_HASH, h);
      setSpan(arena, at + HOST_NAME, off, len);
      arena.setU32(at + HOST_ID, this.hostIds.get(host));
    }
    arena.setU32(HEADER_HOSTS, slotsOff);
    arena.setU32(HEADER_HOST_MASK, mask);
  }
}

/** Adds `len` to the distinct lengths `lengths`, kept longest first. */
function addLength(lengths: u32[], len: u32): void {
  let i = 0;
  while (i < lengths.length && unchecked(lengths[i]) > len) i++;
  if (i < lengths.length && unchecked(lengths[i]) == len) return;
  lengths.push(0);
  for (let j = lengths.length - 1; j > i; j--) unchecked(lengths[j] = lengths[j - 1]);
  unchecked(lengths[i] = len);
}

/** A string's (offset, length) at `at`: a span, see layout.ts. */
// @ts-ignore: decorator
@inline function setSpan(arena: Arena, at: u32, offset: u32, length: u32): void {
  arena.setU32(at, offset);
  arena.setU32(at + SPAN_LEN, length);
}
