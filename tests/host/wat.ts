// Purpose-made guest modules for ABI conformance tests, written in WAT and compiled with wabt.
//
// `guest({ body })` wraps a few exported callbacks in a standard prelude:
//   - memory (64 pages), a bump `malloc` that counts its calls, `proxy_abi_version_0_2_1`
//   - `env.proxy_*` imports detected from `call $proxy_…` in the body (signatures below)
//   - helpers: $log_str(ptr, len), $log_slot() logs the value at [SLOT_PTR]/[SLOT_SIZE],
//     $log_u32(v) logs a decimal number, $log_result(r) logs "r=<n>"
// Strings go to data segments through `s('text')`, which yields `(i32.const ptr) (i32.const len)`.

import wabtInit from 'wabt';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt | undefined;

export async function compileWat(source: string): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const mod = wabt.parseWat('guest.wat', source, { mutable_globals: true, sign_extension: true, bulk_memory: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

/** Scratch slots the tests' guests use for out-pointers. */
export const SLOT_PTR = 256;
export const SLOT_SIZE = 260;
export const SLOT_AUX = 264;

const I = 'i32';
const SIGNATURES: Record<string, { params: string[]; result?: string }> = {
  proxy_log: { params: [I, I, I], result: I },
  proxy_get_log_level: { params: [I], result: I },
  proxy_get_property: { params: [I, I, I, I], result: I },
  proxy_set_property: { params: [I, I, I, I], result: I },
  proxy_get_header_map_value: { params: [I, I, I, I, I], result: I },
  proxy_add_header_map_value: { params: [I, I, I, I, I], result: I },
  proxy_replace_header_map_value: { params: [I, I, I, I, I], result: I },
  proxy_remove_header_map_value: { params: [I, I, I], result: I },
  proxy_get_header_map_pairs: { params: [I, I, I], result: I },
  proxy_set_header_map_pairs: { params: [I, I, I], result: I },
  proxy_get_header_map_size: { params: [I, I], result: I },
  proxy_get_buffer_bytes: { params: [I, I, I, I, I], result: I },
  proxy_get_buffer_status: { params: [I, I, I], result: I },
  proxy_set_buffer_bytes: { params: [I, I, I, I, I], result: I },
  proxy_continue_stream: { params: [I], result: I },
  proxy_close_stream: { params: [I], result: I },
  proxy_send_local_response: { params: [I, I, I, I, I, I, I, I], result: I },
  proxy_http_call: { params: [I, I, I, I, I, I, I, I, I, I], result: I },
  proxy_set_tick_period_milliseconds: { params: [I], result: I },
  proxy_get_current_time_nanoseconds: { params: [I], result: I },
  proxy_define_metric: { params: [I, I, I, I], result: I },
  proxy_increment_metric: { params: [I, 'i64'], result: I },
  proxy_record_metric: { params: [I, 'i64'], result: I },
  proxy_get_metric: { params: [I, I], result: I },
  proxy_get_shared_data: { params: [I, I, I, I, I], result: I },
  proxy_set_shared_data: { params: [I, I, I, I, I], result: I },
  proxy_register_shared_queue: { params: [I, I, I], result: I },
  proxy_resolve_shared_queue: { params: [I, I, I, I, I], result: I },
  proxy_dequeue_shared_queue: { params: [I, I, I], result: I },
  proxy_enqueue_shared_queue: { params: [I, I, I], result: I },
  proxy_set_effective_context: { params: [I], result: I },
  proxy_call_foreign_function: { params: [I, I, I, I, I, I], result: I },
  proxy_get_status: { params: [I, I, I], result: I },
  proxy_done: { params: [], result: I },
};

function importLine(name: string): string {
  const sig = SIGNATURES[name];
  if (!sig) throw new Error(`wat kit: unknown host function ${name}`);
  const params = sig.params.length ? ` (param ${sig.params.join(' ')})` : '';
  const result = sig.result ? ` (result ${sig.result})` : '';
  return `(import "env" "${name}" (func $${name}${params}${result}))`;
}

/** Lays strings out in memory from 1024 on. */
export class Strings {
  private offset = 1024;
  private readonly segments: string[] = [];
  private readonly seen = new Map<string, { ptr: number; len: number }>();

  at(text: string | Uint8Array): { ptr: number; len: number } {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
    const key = Buffer.from(bytes).toString('hex');
    const known = this.seen.get(key);
    if (known) return known;
    const ptr = this.offset;
    this.offset += bytes.length + 8 - (bytes.length % 8);
    if (this.offset >= 60_000) throw new Error('wat kit: string area full (use memory writes for big data)');
    const escaped = [...bytes].map((b) => `\\${b.toString(16).padStart(2, '0')}`).join('');
    this.segments.push(`(data (i32.const ${ptr}) "${escaped}")`);
    const ref = { ptr, len: bytes.length };
    this.seen.set(key, ref);
    return ref;
  }

  /** `(i32.const ptr) (i32.const len)` */
  ref(text: string | Uint8Array): string {
    const { ptr, len } = this.at(text);
    return `(i32.const ${ptr}) (i32.const ${len})`;
  }

  data(): string {
    return this.segments.join('\n');
  }
}

/** Serialized pairs, as the guest would hand them to the host. Written here rather than taken from
 *  host/lib/abi/memory.ts on purpose: the host's decoder is tested against an encoder of its own. */
export function pairs(list: Array<[string, string]>): Uint8Array {
  const enc = new TextEncoder();
  const items = list.map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
  let size = 4;
  for (const [k, v] of items) size += 8 + k.length + v.length + 2;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length, true);
  let off = 4;
  for (const [k, v] of items) {
    dv.setUint32(off, k.length, true);
    dv.setUint32(off + 4, v.length, true);
    off += 8;
  }
  for (const [k, v] of items) {
    out.set(k, off);
    off += k.length + 1;
    out.set(v, off);
    off += v.length + 1;
  }
  return out;
}

export interface GuestOptions {
  /** Exported functions and any extra module fields; may use `call $proxy_*`. */
  body: string;
  strings?: Strings;
  /** ABI export; null for none. */
  abi?: string | null;
  /** Extra raw import lines (checked by the loader, not used by the prelude). */
  extraImports?: string[];
  /** Export the bump allocator as `malloc` (default), `proxy_on_memory_allocate`, or not at all. */
  malloc?: 'malloc' | 'proxy_on_memory_allocate' | 'none';
}

const PRELUDE_FUNCS = `
  (global $heap (mut i32) (i32.const 262144))
  (global $malloc_calls (mut i32) (i32.const 0))
  (func $alloc (param $n i32) (result i32)
    (local $p i32)
    (global.set $malloc_calls (i32.add (global.get $malloc_calls) (i32.const 1)))
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -8))))
    (local.get $p))
  (func $log_str (param $p i32) (param $n i32)
    (drop (call $proxy_log (i32.const 2) (local.get $p) (local.get $n))))
  ;; logs the value the last call wrote to the slots (nothing if it wrote none)
  (func $log_slot
    (if (i32.ne (i32.load (i32.const ${SLOT_SIZE})) (i32.const -1))
      (then (call $log_str (i32.load (i32.const ${SLOT_PTR})) (i32.load (i32.const ${SLOT_SIZE}))))))
  (func $clear_slots
    (i32.store (i32.const ${SLOT_PTR}) (i32.const -1))
    (i32.store (i32.const ${SLOT_SIZE}) (i32.const -1)))
  ;; decimal text of an unsigned value at 600..620, logged
  (func $log_u32 (param $v i32)
    (local $p i32)
    (local.set $p (i32.const 620))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $digits (local.get $v)))
    (call $log_str (local.get $p) (i32.sub (i32.const 620) (local.get $p))))
`;

export async function guest(opts: GuestOptions): Promise<Uint8Array> {
  const used = new Set<string>(['proxy_log']);
  for (const m of opts.body.matchAll(/call \$(proxy_\w+)/g)) used.add(m[1]!);
  const abi = opts.abi === undefined ? 'proxy_abi_version_0_2_1' : opts.abi;
  const malloc = opts.malloc ?? 'malloc';
  const source = `(module
  ${[...used].map(importLine).join('\n  ')}
  ${(opts.extraImports ?? []).join('\n  ')}
  (memory (export "memory") 64)
  ${PRELUDE_FUNCS}
  ${malloc === 'none' ? '' : `(export "${malloc}" (func $alloc))`}
  (func (export "malloc_calls") (result i32) (global.get $malloc_calls))
  ${abi ? `(func (export "${abi}"))` : ''}
  ${opts.body}
  ${opts.strings?.data() ?? ''}
)`;
  return compileWat(source);
}

/** A root context that accepts any configuration (the usual first lines of a test module). */
export const ACCEPTING_ROOT = `
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
`;

/** WAT snippets for common host calls (results are checked through Plugin.hostCalls). */
export function wat(s: Strings) {
  const slots = `(i32.const ${SLOT_PTR}) (i32.const ${SLOT_SIZE})`;
  return {
    log: (text: string) => `(call $log_str ${s.ref(text)})`,
    getHeader: (map: number, key: string) =>
      `(drop (call $proxy_get_header_map_value (i32.const ${map}) ${s.ref(key)} ${slots}))`,
    /** get + log the value (only where the get is expected to succeed). */
    logHeader: (map: number, key: string) =>
      `(call $clear_slots) (drop (call $proxy_get_header_map_value (i32.const ${map}) ${s.ref(key)} ${slots})) (call $log_slot)`,
    replaceHeader: (map: number, key: string, value: string) =>
      `(drop (call $proxy_replace_header_map_value (i32.const ${map}) ${s.ref(key)} ${s.ref(value)}))`,
    addHeader: (map: number, key: string, value: string) =>
      `(drop (call $proxy_add_header_map_value (i32.const ${map}) ${s.ref(key)} ${s.ref(value)}))`,
    removeHeader: (map: number, key: string) =>
      `(drop (call $proxy_remove_header_map_value (i32.const ${map}) ${s.ref(key)}))`,
    logPairs: (map: number) =>
      `(call $clear_slots) (drop (call $proxy_get_header_map_pairs (i32.const ${map}) ${slots})) (call $log_slot)`,
    logProperty: (path: string[]) =>
      `(call $clear_slots) (if (i32.eqz (call $proxy_get_property ${s.ref(path.join('\0'))} ${slots})) (then (call $log_slot)))`,
    logBuffer: (type: number, start: number, length: number) =>
      `(call $clear_slots) (if (i32.eqz (call $proxy_get_buffer_bytes (i32.const ${type}) (i32.const ${start}) (i32.const ${length}) ${slots})) (then (call $log_slot)))`,
  };
}
