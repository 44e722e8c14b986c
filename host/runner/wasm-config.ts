// The wasm filter's own bits of an Envoy bootstrap, shared by the runner's reader, the overlay and
// `routekey validate`: its type URL, how to spot it among http_filters, and how Envoy turns a
// `configuration` Any into the bytes the filter receives.

export const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
export const WASM_FILTER_NAME = 'envoy.filters.http.wasm';

const STRING_VALUE = 'type.googleapis.com/google.protobuf.StringValue';
const BYTES_VALUE = 'type.googleapis.com/google.protobuf.BytesValue';
const STRUCT = 'type.googleapis.com/google.protobuf.Struct';

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An http_filters entry that is the wasm filter: by typed_config's @type, or by name when it has none. */
export function isWasmFilterEntry(entry: Json): boolean {
  if (!isObject(entry)) return false;
  const tc = entry.typed_config;
  const type = isObject(tc) && typeof tc['@type'] === 'string' ? tc['@type'] : '';
  return type === WASM_FILTER_TYPE || (type === '' && entry.name === WASM_FILTER_NAME);
}

export type AnyConfiguration =
  | { ok: true; value: string | Uint8Array }
  /** `field` is where the problem is, relative to the Any ('@type' or 'value'). */
  | { ok: false; field: '@type' | 'value'; problem: string };

/**
 * Envoy's MessageUtil::anyToBytes for an Any written in YAML/JSON, absent = '' (size 0):
 *   google.protobuf.StringValue → its string, as written;
 *   google.protobuf.BytesValue  → its bytes (base64 in YAML);
 *   google.protobuf.Struct      → the Any's value, i.e. the Struct's PROTOBUF encoding — not JSON.
 *     A filter that parses JSON refuses it; Istio turns pluginConfig into JSON inside a
 *     StringValue precisely for this reason.
 * Other types cannot be encoded here and are reported.
 */
export function decodeAnyConfiguration(any: Json): AnyConfiguration {
  if (any === undefined || any === null) return { ok: true, value: '' };
  if (!isObject(any)) return { ok: false, field: '@type', problem: 'expected a google.protobuf.Any ({"@type": …, value: …})' };
  const type = any['@type'];
  const value = any.value;
  switch (type) {
    case STRING_VALUE:
      if (value === undefined || value === null) return { ok: true, value: '' };
      if (typeof value !== 'string') return { ok: false, field: 'value', problem: `expected a string, got ${typeof value}` };
      return { ok: true, value };
    case BYTES_VALUE:
      if (value === undefined || value === null) return { ok: true, value: new Uint8Array(0) };
      if (typeof value !== 'string') return { ok: false, field: 'value', problem: 'expected base64 text' };
      return { ok: true, value: new Uint8Array(Buffer.from(value, 'base64')) };
    case STRUCT:
      if (value !== undefined && value !== null && !isObject(value)) {
        return { ok: false, field: 'value', problem: 'expected an object (a google.protobuf.Struct)' };
      }
      return { ok: true, value: encodeStruct(value ?? {}) };
    default:
      return {
        ok: false,
        field: '@type',
        problem: `configuration type ${typeof type === 'string' && type ? type : '(none)'} is not supported ` +
          '(use google.protobuf.StringValue, BytesValue or Struct)',
      };
  }
}

// --- google.protobuf.Struct in protobuf wire format -------------------------------------------
//   Struct    { map<string, Value> fields = 1 }       (map entry: key = 1, value = 2)
//   Value     { null_value = 1 | number_value = 2 (double) | string_value = 3 | bool_value = 4
//               | struct_value = 5 | list_value = 6 }
//   ListValue { repeated Value values = 1 }

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function join(parts: Array<Uint8Array | number[]>): Uint8Array {
  return new Uint8Array(Buffer.concat(parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)))));
}

const key = (field: number, wire: number) => varint((field << 3) | wire);
const lengthField = (field: number, bytes: Uint8Array) => join([key(field, LENGTH), varint(bytes.length), bytes]);
const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function encodeValue(v: Json): Uint8Array {
  if (v === null || v === undefined) return join([key(1, VARINT), [0]]);
  if (typeof v === 'number') {
    const d = new Uint8Array(8);
    new DataView(d.buffer).setFloat64(0, v, true);
    return join([key(2, FIXED64), d]);
  }
  if (typeof v === 'string') return lengthField(3, text(v));
  if (typeof v === 'boolean') return join([key(4, VARINT), [v ? 1 : 0]]);
  if (Array.isArray(v)) return lengthField(6, join(v.map((item) => lengthField(1, encodeValue(item)))));
  if (isObject(v)) return lengthField(5, encodeStruct(v));
  return lengthField(3, text(String(v)));
}

/** A JSON object as a serialized google.protobuf.Struct. */
export function encodeStruct(o: Record<string, Json>): Uint8Array {
  return join(Object.entries(o).map(([k, v]) => lengthField(1, join([lengthField(1, text(k)), lengthField(2, encodeValue(v))]))));
}
