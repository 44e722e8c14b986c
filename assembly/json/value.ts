// The tree that json/parse.ts produces. Plain data: no lookups that can abort, no exceptions.

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

// Scalars share these (a config with 100k routes has ~1M values: fewer allocations, less GC).
const NO_VALUES: JsonValue[] = [];
const NO_KEYS: string[] = [];

/** One JSON value. Which fields mean something depends on `kind`. */
export class JsonValue {
  /** Bool: the value. */
  bool: bool = false;
  /** Number: the value as an f64 (may be ±Infinity for huge exponents). */
  num: f64 = 0;
  /** String: the decoded text. Number: the source text exactly as written (`1.50`, `-0`, `1e3`). */
  str: string = "";
  /** Array: the elements. Object: the field values, in document order. Read-only. */
  items: JsonValue[] = NO_VALUES;
  /** Object: the field names, parallel to `items`, in document order (no duplicates). Read-only. */
  keys: string[] = NO_KEYS;

  constructor(public readonly kind: JsonKind) {}

  static null(): JsonValue { return new JsonValue(JsonKind.Null); }

  static boolean(b: bool): JsonValue {
    const v = new JsonValue(JsonKind.Bool);
    v.bool = b;
    return v;
  }

  static number(raw: string, n: f64): JsonValue {
    const v = new JsonValue(JsonKind.Number);
    v.str = raw;
    v.num = n;
    return v;
  }

  static string(s: string): JsonValue {
    const v = new JsonValue(JsonKind.String);
    v.str = s;
    return v;
  }

  static array(items: JsonValue[]): JsonValue {
    const v = new JsonValue(JsonKind.Array);
    v.items = items;
    return v;
  }

  static object(keys: string[], values: JsonValue[]): JsonValue {
    const v = new JsonValue(JsonKind.Object);
    v.keys = keys;
    v.items = values;
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** Array or object: the number of elements or fields. 0 for scalars. */
  get length(): i32 { return this.items.length; }

  /** Object: whether a field is present (linear scan; objects here are small). */
  has(key: string): bool { return this.indexOf(key) >= 0; }

  /** Object: the field's value, or null when absent (never aborts). */
  get(key: string): JsonValue | null {
    const i = this.indexOf(key);
    return i < 0 ? null : unchecked(this.items[i]);
  }

  private indexOf(key: string): i32 {
    if (this.kind != JsonKind.Object) return -1;
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (unchecked(keys[i]) == key) return i;
    }
    return -1;
  }

  /** Scalars: their JSON text (`42`, `"dev"`, `true`, `null`). Scalars only; see `describe`. */
  scalarText(): string {
    switch (this.kind) {
      case JsonKind.Null: return "null";
      case JsonKind.Bool: return this.bool ? "true" : "false";
      case JsonKind.Number: return this.str;
      case JsonKind.String: return quote(this.str);
      default: return "";
    }
  }

  /** Short text for "got …" in error messages: scalars as JSON (long strings cut), else a kind. */
  describe(): string {
    switch (this.kind) {
      case JsonKind.Array: return this.items.length == 0 ? "[]" : "array";
      case JsonKind.Object: return this.items.length == 0 ? "{}" : "object";
      case JsonKind.String: return quote(this.str, 64);
      default: return this.scalarText();
    }
  }
}

const HEX = "0123456789abcdef";

/**
 * `s` as a JSON string literal: quotes, `\"`, `\\`, and control characters escaped. With
 * `maxChars` > 0, a longer string is cut to that many UTF-16 units and `…` is appended inside
 * the quotes (never splitting a surrogate pair).
 */
export function quote(s: string, maxChars: i32 = 0): string {
  let n = s.length;
  let cut = false;
  if (maxChars > 0 && n > maxChars) {
    n = maxChars;
    // Do not split a surrogate pair.
    const last = s.charCodeAt(n - 1);
    if (last >= 0xD800 && last <= 0xDBFF) n--;
    cut = true;
  }
  const parts: string[] = ['"'];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let esc = "";
    if (c == 0x22) esc = '\\"';
    else if (c == 0x5C) esc = "\\\\";
    else if (c == 0x0A) esc = "\\n";
    else if (c == 0x0D) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c < 0x20 || c == 0x7F) {
      esc = "\\u00" + HEX.charAt((c >> 4) & 0xF) + HEX.charAt(c & 0xF);
    } else continue;
    if (i > start) parts.push(s.substring(start, i));
    parts.push(esc);
    start = i + 1;
  }
  if (n > start) parts.push(s.substring(start, n));
  if (cut) parts.push("…");
  parts.push('"');
  return parts.join("");
}
