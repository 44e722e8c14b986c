// Values of a parsed document (json/document.ts). A JsonValue is a small cursor — the document
// and a token index — that reads the tape when asked: strings are decoded only when `str` is read,
// and field names are matched with `is` without being decoded at all. Plain data: nothing here can
// abort, and a value of a released document reads as null.
import { JsonDocument, JsonKind } from "./document";

/** One JSON value. */
export class JsonValue {
  constructor(
    public readonly doc: JsonDocument,
    /** The value's token in `doc`. */
    public readonly at: i32,
  ) {}

  get kind(): JsonKind { return this.doc.kind(this.at); }
  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** Bool: the value. */
  get bool(): bool { return this.kind == JsonKind.Bool && this.doc.a(this.at) != 0; }

  /** Number: the value as an f64 (may be ±Infinity for huge exponents). 0 for other kinds. */
  get num(): f64 { return this.isNumber ? parseFloat(this.str) : 0; }

  /** String: the decoded text. Number: the source text exactly as written (`1.50`, `-0`, `1e3`). */
  get str(): string {
    const k = this.kind;
    if (k != JsonKind.String && k != JsonKind.Number) return "";
    return String.UTF8.decodeUnsafe(this.doc.textPtr(this.at), <usize>this.doc.b(this.at));
  }

  /** String: its UTF-8 length in bytes. */
  get byteLength(): u32 { return this.isString ? this.doc.b(this.at) : 0; }

  /** Array or object: the number of elements or fields. 0 for scalars. */
  get length(): i32 { return this.doc.length(this.at); }

  /** Object: its fields in document order (none for other kinds). */
  fields(): JsonItems { return new JsonItems(this.doc, this.at, true); }

  /** Array: its elements in order (none for other kinds). */
  elements(): JsonItems { return new JsonItems(this.doc, this.at, false); }

  /** Object: whether a field is present (linear scan; objects here are small). */
  has(key: string): bool { return this.get(key) !== null; }

  /** Object: the field's value, or null when absent (never aborts). */
  get(key: string): JsonValue | null {
    const f = this.fields();
    while (f.next()) {
      if (f.is(key)) return f.value;
    }
    return null;
  }

  /** Bytes of the scalar text in this value (see JsonDocument.textBytes): a size hint. */
  textBytes(): u32 { return this.doc.textBytes(this.at); }

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
      case JsonKind.Array: return this.length == 0 ? "[]" : "array";
      case JsonKind.Object: return this.length == 0 ? "{}" : "object";
      case JsonKind.String: return quote(this.str, 64);
      default: return this.scalarText();
    }
  }
}

/**
 * Walks an object's fields or an array's elements, in document order:
 *
 *   const f = route.fields();
 *   while (f.next()) {
 *     if (f.is("name")) … f.value …
 *     else return unknownField(f.name, …);
 *   }
 */
export class JsonItems {
  /** Position of the current field or element, from 0 (-1 before the first `next`). */
  index: i32 = -1;
  /** Token of the current element, or of the current field's name. */
  private current: i32 = -1;
  private readonly end: i32;

  /** Walks `container`'s fields (`isObject`) or elements; nothing when it is not of that kind. */
  constructor(
    private readonly doc: JsonDocument,
    private readonly container: i32,
    private readonly isObject: bool,
  ) {
    const wanted = isObject ? JsonKind.Object : JsonKind.Array;
    this.end = doc.kind(container) == wanted ? doc.end(container) : container;
  }

  /** Moves to the next field or element; false when there is none. */
  next(): bool {
    const doc = this.doc;
    const at = this.index < 0 ? this.container + 1 : doc.end(this.isObject ? this.current + 1 : this.current);
    if (at >= this.end) return false;
    this.current = at;
    this.index++;
    return true;
  }

  /** The current element, or the current field's value. */
  get value(): JsonValue {
    return new JsonValue(this.doc, this.isObject ? this.current + 1 : this.current);
  }

  /** Objects: the current field's name, as a String value. */
  get key(): JsonValue {
    return new JsonValue(this.doc, this.current);
  }

  /** Objects: the current field's name (decoded; for error paths and names that are kept). */
  get name(): string {
    if (!this.isObject) return "";
    return String.UTF8.decodeUnsafe(this.doc.textPtr(this.current), <usize>this.doc.b(this.current));
  }

  /** Objects: whether the current field's name is `s` (compared without decoding). */
  is(s: string): bool {
    return this.isObject && this.doc.textIs(this.current, s);
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
