// Mutations: grammar-aware ones on a parsed JSON tree (fields, types, sizes, hostile strings,
// deep nesting), and raw ones on the serialized bytes (bit flips, inserted/deleted/duplicated
// ranges, invalid UTF-8, truncation).
import type { Rng } from './rng.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Strings the invariants care about (authorities, paths, controls) and plain oddities. */
export const HOSTILE_STRINGS = [
  '', ' ', 'a b', '//evil.com', 'x@evil:1:2', 'evil.com/../x', 'http://a.svc:8080:9090', 'a.svc:0', 'a.svc:65536',
  '-', '_', 'a..b', '.a', 'a.', '[::1', '[::1]:80', '[zz]', 'http://a//evil.com', 'http://a/../x', 'http://a/./x',
  'http://a/%2e%2e/x', 'http://a/%2F', 'http://a/b\\c', 'http://a/b?q', 'http://a#f', 'http://u@a', 'ftp://a',
  'a\r\nx-injected: 1', 'a\nb', 'a\rb', 'a\u0000b', '\u0001', 'a\u007f', '\t', ' lead', 'trail ', 'null', 'true',
  'é', '\u{1f600}', '\ud800', '\uffff', 'Host', 'HOST', ':authority', ':path', 'x-env', 'default', 'none',
  '1e999', '-0', '0x10',
];

const HOSTILE_CHARS = ['\r', '\n', '\u0000', '\u0001', '\u001f', '\u007f', '\t', ' ', '"', '\\', '/', ':', '@', '.', '%', 'é', '\u{1f600}', '\ud800', '\u2028'];

const NUMBERS = [0, -1, 1, 65535, 65536, 1e21, -1e21, 1.5, 2 ** 53 + 1, 86_400_001, 99, 4294967296];

function hostileString(r: Rng): string {
  const k = r.int(6);
  if (k < 3) return r.pick(HOSTILE_STRINGS);
  if (k === 3) return r.pick(['v', 'a.svc', 'x-', '/p']).repeat(1 + r.size(20000));
  let s = '';
  const n = 1 + r.size(64);
  for (let i = 0; i < n; i++) s += r.chance(0.5) ? r.pick(HOSTILE_CHARS) : String.fromCharCode(0x20 + r.int(95));
  return s;
}

function deep(r: Rng): Json {
  const depth = 1 + r.size(600); // deeper nesting is made at the byte level (mutateBytes)
  let v: Json = r.chance(0.5) ? 1 : 'x';
  for (let i = 0; i < depth; i++) v = r.chance(0.5) ? [v] : { a: v };
  return v;
}

function randomValue(r: Rng): Json {
  switch (r.int(8)) {
    case 0: return null;
    case 1: return r.chance(0.5);
    case 2: return r.pick(NUMBERS);
    case 3: return hostileString(r);
    case 4: return [];
    case 5: return {};
    case 6: return deep(r);
    default: return [hostileString(r)];
  }
}

/** Every container in the tree with a way to reach its children. */
function containers(root: Json, out: Array<Json[] | { [k: string]: Json }> = [], depth = 0): Array<Json[] | { [k: string]: Json }> {
  if (depth > 50) return out; // not into deep nesting (and its copies stay as they are)
  if (Array.isArray(root)) {
    out.push(root);
    for (const v of root) containers(v, out, depth + 1);
  } else if (root !== null && typeof root === 'object') {
    out.push(root);
    for (const v of Object.values(root)) containers(v, out, depth + 1);
  }
  return out;
}

const FIELD_NAMES = ['key', 'routes', 'name', 'keys', 'destination', 'requestHeaders', 'set', 'add', 'remove', 'default',
  'decisionHeader', 'rewrites', 'patch', 'val', 'rulesService', 'cluster', 'authority', 'path', 'refreshMs', 'timeoutMs',
  'maxBytes', 'headers', 'initial', 'longPollSeconds', 'version', 'header', 'colour', 'Host', 'host'];

/** One grammar-aware edit, in place (the root may be replaced: returns the new root). */
function editOnce(root: Json, r: Rng): Json {
  const all = containers(root);
  if (all.length === 0 || r.chance(0.02)) return randomValue(r);
  const c = r.pick(all);
  if (Array.isArray(c)) {
    const op = r.int(5);
    if (c.length > 0 && op === 0) c.splice(r.int(c.length), 1);
    else if (c.length > 0 && op === 1) {
      const copies = r.size(1000);
      const item = c[r.int(c.length)]!;
      for (let i = 0; i < copies; i++) c.push(structuredClone(item));
    } else if (c.length > 0 && op === 2) c[r.int(c.length)] = randomValue(r);
    else if (c.length > 0 && op === 3) c[r.int(c.length)] = mutateString(c[r.int(c.length)]!, r);
    else c.push(randomValue(r));
    return root;
  }
  const keys = Object.keys(c);
  const op = r.int(7);
  if (keys.length > 0 && op === 0) delete c[r.pick(keys)];
  else if (keys.length > 0 && op === 1) c[r.pick(keys)] = randomValue(r);
  else if (keys.length > 0 && op === 2) { const k = r.pick(keys); c[k] = mutateString(c[k]!, r); }
  else if (keys.length > 0 && op === 3) {
    // Rename a field: to a case variant (a header name, "Host" vs "host"), or a hostile name.
    const k = r.pick(keys);
    const v = c[k]!;
    const name = r.chance(0.5) ? (r.chance(0.5) ? k.toUpperCase() : k.slice(0, 1).toUpperCase() + k.slice(1)) : hostileString(r);
    if (r.chance(0.5)) delete c[k];
    c[name] = v;
  } else if (op === 4) c[r.pick(FIELD_NAMES)] = randomValue(r);
  else if (op === 5) c[r.chance(0.5) ? 'Host' : r.pick(['host', 'x-a', 'X-A', 'x-b'])] = hostileString(r);
  else c[r.pick(keys.length > 0 ? keys : FIELD_NAMES)] = r.pick(HOSTILE_STRINGS);
  return root;
}

/** A string gets a hostile character, a hostile replacement, or grows; other values are replaced. */
function mutateString(v: Json, r: Rng): Json {
  if (typeof v !== 'string') return r.chance(0.5) ? hostileString(r) : randomValue(r);
  const at = r.int(v.length + 1);
  switch (r.int(4)) {
    case 0: return v.slice(0, at) + r.pick(HOSTILE_CHARS) + v.slice(at);
    case 1: return hostileString(r);
    case 2: return v + v.repeat(r.size(2000));
    default: return v.slice(0, at) + r.pick(HOSTILE_STRINGS) + v.slice(at);
  }
}

/** Every string in a value position, with its container and key. */
function stringLeaves(root: Json, out: Array<[Json[] | { [k: string]: Json }, string | number]> = [], depth = 0) {
  if (depth > 50) return out;
  if (Array.isArray(root)) root.forEach((v, i) => (typeof v === 'string' ? out.push([root, i]) : stringLeaves(v, out, depth + 1)));
  else if (root !== null && typeof root === 'object') {
    for (const [k, v] of Object.entries(root)) typeof v === 'string' ? out.push([root, k]) : stringLeaves(v, out, depth + 1);
  }
  return out;
}

/** Keeps the document valid but for one value: a string becomes hostile, or a header operation
 *  list gets a name that differs only in case, or a Host. Most configurations so made are
 *  accepted or refused for exactly that value, which is what the invariants are about. */
function targetedEdit(root: Json, r: Rng): Json {
  const leaves = stringLeaves(root);
  if (leaves.length === 0) return editOnce(root, r);
  const [c, k] = r.pick(leaves);
  const old = (c as Record<string | number, Json>)[k] as string;
  (c as Record<string | number, Json>)[k] = r.chance(0.3) ? mutateString(old, r) : r.pick(HOSTILE_STRINGS);
  if (r.chance(0.2)) {
    const maps = containers(root).filter((m): m is { [k: string]: Json } => !Array.isArray(m) && Object.values(m).every((v) => typeof v === 'string'));
    if (maps.length > 0) {
      const m = r.pick(maps);
      const names = Object.keys(m);
      const n = names.length > 0 && r.chance(0.5) ? r.pick(names).toUpperCase() : r.pick(['Host', 'host', 'HOST', 'X-A']);
      m[n] = r.chance(0.5) ? 'v' : r.pick(HOSTILE_STRINGS);
    }
  }
  return root;
}

/** Grammar-aware edits of a copy of `base`: half the time one targeted edit (see targetedEdit),
 *  else 1-4 structural ones (fields, types, sizes, nesting). */
export function mutateTree(base: unknown, r: Rng): unknown {
  let root = structuredClone(base) as Json;
  if (r.chance(0.5)) return targetedEdit(root, r);
  const edits = 1 + r.int(4);
  for (let i = 0; i < edits; i++) root = editOnce(root, r);
  return root;
}

const BYTE_INSERTS = [[0x00], [0xff], [0xc3], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0x0d, 0x0a], [0x22], [0x5c], [0x7b], [0x5d], [0x2c], [0x3a],
  [0x5c, 0x75, 0x30, 0x30, 0x30, 0x30], [0x5c, 0x75, 0x64, 0x38, 0x30, 0x30], [0x31, 0x65, 0x39, 0x39, 0x39]];

/** 1-8 raw edits of a copy of `bytes`. */
export function mutateBytes(bytes: Uint8Array, r: Rng): Uint8Array {
  let b = Array.from(bytes);
  const edits = 1 + r.int(8);
  for (let i = 0; i < edits; i++) {
    const at = r.int(b.length + 1);
    switch (r.int(7)) {
      case 6: { const n = 1 + r.size(100_000); b = [...b.slice(0, at), ...new Array<number>(n).fill(r.chance(0.5) ? 0x5b : 0x7b), ...b.slice(at)]; break; }
      case 0: if (at < b.length) b[at] = b[at]! ^ (1 << r.int(8)); break;
      case 1: b.splice(at, 0, ...r.pick(BYTE_INSERTS)); break;
      case 2: b.splice(at, 1 + r.int(8)); break;
      case 3: { const len = 1 + r.int(32); b.splice(at, 0, ...b.slice(at, at + len)); break; }
      case 4: b = b.slice(0, at); break;
      default: b.splice(at, 0, r.int(256)); break;
    }
  }
  return Uint8Array.from(b);
}
