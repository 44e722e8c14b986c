// A small strict JSON parser (RFC 8259) that returns errors as values.
//
// Why our own: AssemblyScript has no exceptions, and the AssemblyScript JSON libraries available
// (assemblyscript-json, json-as) abort on malformed input; an abort kills the plugin's VM in
// Envoy. This parser never aborts, whatever the bytes: every failure is a `JsonResult` with an
// error. It runs once, at configuration time, and is linear in the input size.
//
// Strict means: one value with optional whitespace around it; no comments, trailing commas,
// leading zeros, `+1`, `.5`, NaN/Infinity, single quotes or BOM; raw control characters in strings
// refused; every escape (including \uXXXX and surrogate pairs) decoded; unpaired surrogates and
// invalid UTF-8 (overlong forms, encoded surrogates, > U+10FFFF) refused; at most 64 nested
// arrays/objects; duplicate field names refused (reported with the object's field path).
// The caller limits the input size.
import { JsonValue } from "./value";
import { quote } from "./value";
import { fieldPath, indexPath } from "./path";

/** Arrays and objects nested deeper than this are refused. */
export const MAX_DEPTH = 64;

/** A parsed value, or an error. */
export class JsonResult {
  constructor(
    public readonly value: JsonValue | null,
    /**
     * `invalid JSON at line L, column C: expected …` (columns count characters, from 1), or
     * `duplicate field "name"` for a repeated field in one object.
     */
    public readonly error: string | null,
    /** Field path of the object holding a duplicate field (`routes[0]`); "" otherwise or at the root. */
    public readonly errorPath: string,
  ) {}

  /** The error as one line, `<path>: <error>`, naming the root `root`. */
  message(root: string): string {
    const e = this.error;
    if (e === null) return "";
    return (this.errorPath.length == 0 ? root : this.errorPath) + ": " + e;
  }
}

/** Parses `bytes` (UTF-8). Never aborts. */
export function parseJson(bytes: Uint8Array): JsonResult {
  return new Parser(bytes).run();
}

/** Parses a string (encoded to UTF-8 first; lone surrogates become U+FFFD). For tests and tools. */
export function parseJsonString(s: string): JsonResult {
  return parseJson(Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE)));
}

// Byte values used below.
const QUOTE = 0x22;
const BACKSLASH = 0x5C;
const COMMA = 0x2C;
const COLON = 0x3A;
const MINUS = 0x2D;
const PLUS = 0x2B;
const DOT = 0x2E;
const LBRACE = 0x7B;
const RBRACE = 0x7D;
const LBRACKET = 0x5B;
const RBRACKET = 0x5D;
const ZERO = 0x30;

/** Objects with more fields than this check duplicates with a Set instead of a scan. */
const SMALL_OBJECT = 8;

class Parser {
  private readonly ptr: usize;
  private readonly len: i32;
  private pos: i32 = 0;
  private error: string | null = null;
  private errorPath: string = "";
  /** Scratch UTF-16 buffer for decoding strings; grows by doubling. */
  private buf: StaticArray<u16> = new StaticArray<u16>(64);
  /** The path to the value being parsed: a field name, or (key null) an array index. */
  private pathKeys: Array<string | null> = [];
  private pathIndexes: i32[] = [];

  constructor(private readonly bytes: Uint8Array) {
    this.ptr = bytes.dataStart;
    this.len = bytes.length;
  }

  run(): JsonResult {
    this.skipSpace();
    const v = this.value(1);
    if (v !== null) {
      this.skipSpace();
      if (this.pos < this.len) this.fail("end of input", this.pos);
    }
    const e = this.error;
    if (e !== null) return new JsonResult(null, e, this.errorPath);
    return new JsonResult(v, null, "");
  }

  // ---- input ---------------------------------------------------------------------------------

  /** The byte at `i`, or -1 past the end. */
  @inline private at(i: i32): i32 {
    return i < this.len ? <i32>load<u8>(this.ptr + <usize>i) : -1;
  }

  private skipSpace(): void {
    let p = this.pos;
    while (p < this.len) {
      const c = load<u8>(this.ptr + <usize>p);
      if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) break;
      p++;
    }
    this.pos = p;
  }

  /** Records the first syntax error, at byte offset `at`. Returns null for `return this.fail(…)`. */
  private fail(expected: string, at: i32): JsonValue | null {
    if (this.error === null) {
      this.error = "invalid JSON at " + this.lineColumn(at) + ": expected " + expected;
    }
    return null;
  }

  /** `line L, column C` for a byte offset; columns count characters (not bytes), from 1. */
  private lineColumn(at: i32): string {
    let line = 1, column = 1;
    const end = min(at, this.len);
    for (let i = 0; i < end; i++) {
      const c = load<u8>(this.ptr + <usize>i);
      if (c == 0x0A || (c == 0x0D && this.at(i + 1) != 0x0A)) {
        line++;
        column = 1;
      } else if ((c & 0xC0) != 0x80) {
        column++;
      }
    }
    return "line " + line.toString() + ", column " + column.toString();
  }

  // ---- values --------------------------------------------------------------------------------

  /** Parses the value at `pos`; `expected` names what was wanted when there is none. */
  private value(depth: i32, expected: string = "a value"): JsonValue | null {
    const c = this.at(this.pos);
    if (c == LBRACE) return this.object(depth);
    if (c == LBRACKET) return this.array(depth);
    if (c == QUOTE) {
      const s = this.string();
      return s === null ? null : JsonValue.string(s);
    }
    if (c == MINUS || (c >= ZERO && c <= 0x39)) return this.number();
    if (this.literal("true")) return JsonValue.boolean(true);
    if (this.literal("false")) return JsonValue.boolean(false);
    if (this.literal("null")) return JsonValue.null();
    return this.fail(expected, this.pos);
  }

  /** Consumes `word` (ASCII) when the input continues with it. */
  private literal(word: string): bool {
    const n = word.length;
    if (this.pos + n > this.len) return false;
    for (let i = 0; i < n; i++) {
      if (this.at(this.pos + i) != word.charCodeAt(i)) return false;
    }
    this.pos += n;
    return true;
  }

  private object(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("at most " + MAX_DEPTH.toString() + " nested arrays and objects", this.pos);
    this.pos++; // {
    const keys = new Array<string>();
    const values = new Array<JsonValue>();
    let seen: Set<string> | null = null;
    this.skipSpace();
    if (this.at(this.pos) == RBRACE) {
      this.pos++;
      return JsonValue.object(keys, values);
    }
    while (true) {
      if (this.at(this.pos) != QUOTE) {
        return this.fail(keys.length == 0 ? "a string field name or '}'" : "a string field name", this.pos);
      }
      const key = this.string();
      if (key === null) return null;
      // Duplicate field names: a scan while the object is small, a Set beyond.
      if (seen === null && keys.length >= SMALL_OBJECT) {
        seen = new Set<string>();
        for (let i = 0; i < keys.length; i++) seen.add(unchecked(keys[i]));
      }
      if (seen !== null ? seen.has(key) : keys.includes(key)) return this.duplicate(key);
      if (seen !== null) seen.add(key);

      this.skipSpace();
      if (this.at(this.pos) != COLON) return this.fail("':'", this.pos);
      this.pos++;
      this.skipSpace();
      this.pathKeys.push(key);
      this.pathIndexes.push(0);
      const v = this.value(depth + 1);
      this.pathKeys.pop();
      this.pathIndexes.pop();
      if (v === null) return null;
      keys.push(key);
      values.push(v);

      this.skipSpace();
      const c = this.at(this.pos);
      if (c == RBRACE) {
        this.pos++;
        return JsonValue.object(keys, values);
      }
      if (c != COMMA) return this.fail("',' or '}'", this.pos);
      this.pos++;
      this.skipSpace();
    }
  }

  private duplicate(key: string): JsonValue | null {
    let path = "";
    for (let i = 0, n = this.pathKeys.length; i < n; i++) {
      const k = unchecked(this.pathKeys[i]);
      path = k !== null ? fieldPath(path, k) : indexPath(path, unchecked(this.pathIndexes[i]));
    }
    this.error = "duplicate field " + quote(key);
    this.errorPath = path;
    return null;
  }

  private array(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("at most " + MAX_DEPTH.toString() + " nested arrays and objects", this.pos);
    this.pos++; // [
    const items = new Array<JsonValue>();
    this.skipSpace();
    if (this.at(this.pos) == RBRACKET) {
      this.pos++;
      return JsonValue.array(items);
    }
    this.pathKeys.push(null);
    this.pathIndexes.push(0);
    const top = this.pathIndexes.length - 1;
    let done = false;
    while (true) {
      unchecked(this.pathIndexes[top] = items.length);
      const v = this.value(depth + 1, items.length == 0 ? "a value or ']'" : "a value");
      if (v === null) break;
      items.push(v);
      this.skipSpace();
      const c = this.at(this.pos);
      if (c == RBRACKET) {
        this.pos++;
        done = true;
        break;
      }
      if (c != COMMA) {
        this.fail("',' or ']'", this.pos);
        break;
      }
      this.pos++;
      this.skipSpace();
    }
    this.pathKeys.pop();
    this.pathIndexes.pop();
    return done ? JsonValue.array(items) : null;
  }

  private number(): JsonValue | null {
    const start = this.pos;
    let p = start;
    if (this.at(p) == MINUS) p++;
    let c = this.at(p);
    if (!isDigit(c)) return this.fail("a digit after '-'", p);
    if (c == ZERO) {
      p++;
      if (isDigit(this.at(p))) return this.fail("no leading zero in a number", start);
    } else {
      while (isDigit(this.at(p))) p++;
    }
    if (this.at(p) == DOT) {
      p++;
      if (!isDigit(this.at(p))) return this.fail("a digit after '.'", p);
      while (isDigit(this.at(p))) p++;
    }
    c = this.at(p);
    if (c == 0x65 || c == 0x45) { // e E
      p++;
      c = this.at(p);
      if (c == PLUS || c == MINUS) p++;
      if (!isDigit(this.at(p))) return this.fail("a digit in the exponent", p);
      while (isDigit(this.at(p))) p++;
    }
    this.pos = p;
    const raw = String.UTF8.decodeUnsafe(this.ptr + <usize>start, <usize>(p - start));
    return JsonValue.number(raw, parseFloat(raw));
  }

  /** Parses the string starting at `pos` (on the opening quote); null after an error. */
  private string(): string | null {
    let p = this.pos + 1;
    let n = 0; // UTF-16 units written to buf
    while (true) {
      if (p >= this.len) {
        this.fail("'\"' to end the string", p);
        return null;
      }
      // Room for the longest emission (a surrogate pair).
      if (n + 2 > this.buf.length) this.grow();
      const buf = changetype<usize>(this.buf);
      const b = <i32>load<u8>(this.ptr + <usize>p);
      if (b == QUOTE) break;
      if (b < 0x20) {
        this.fail("no raw control character in a string (escape it, e.g. \\n or \\u001f)", p);
        return null;
      }
      if (b == BACKSLASH) {
        const e = this.at(p + 1);
        let unit = -1;
        if (e == QUOTE) unit = QUOTE;
        else if (e == BACKSLASH) unit = BACKSLASH;
        else if (e == 0x2F) unit = 0x2F; // /
        else if (e == 0x62) unit = 0x08; // b
        else if (e == 0x66) unit = 0x0C; // f
        else if (e == 0x6E) unit = 0x0A; // n
        else if (e == 0x72) unit = 0x0D; // r
        else if (e == 0x74) unit = 0x09; // t
        else if (e == 0x75) { // u
          const hi = this.hex4(p + 2);
          if (hi < 0) {
            this.fail("4 hex digits after \\u", p);
            return null;
          }
          if (hi >= 0xDC00 && hi <= 0xDFFF) {
            this.fail("a high surrogate (\\uD800-\\uDBFF) before a low surrogate", p);
            return null;
          }
          if (hi >= 0xD800 && hi <= 0xDBFF) {
            const lo = this.at(p + 6) == BACKSLASH && this.at(p + 7) == 0x75 ? this.hex4(p + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
              this.fail("a low surrogate (\\uDC00-\\uDFFF) after a high surrogate", p + 6);
              return null;
            }
            store<u16>(buf + (<usize>n << 1), <u16>hi);
            store<u16>(buf + (<usize>(n + 1) << 1), <u16>lo);
            n += 2;
            p += 12;
            continue;
          }
          store<u16>(buf + (<usize>n << 1), <u16>hi);
          n++;
          p += 6;
          continue;
        }
        if (unit < 0) {
          this.fail("an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", p);
          return null;
        }
        store<u16>(buf + (<usize>n << 1), <u16>unit);
        n++;
        p += 2;
        continue;
      }
      if (b < 0x80) {
        store<u16>(buf + (<usize>n << 1), <u16>b);
        n++;
        p++;
        continue;
      }
      // Multi-byte UTF-8: validate strictly, then emit one or two UTF-16 units.
      const size = this.utf8Size(p, b);
      if (size == 0) {
        this.fail("valid UTF-8", p);
        return null;
      }
      let cp: i32;
      if (size == 2) {
        cp = ((b & 0x1F) << 6) | (this.at(p + 1) & 0x3F);
      } else if (size == 3) {
        cp = ((b & 0x0F) << 12) | ((this.at(p + 1) & 0x3F) << 6) | (this.at(p + 2) & 0x3F);
      } else {
        cp = ((b & 0x07) << 18) | ((this.at(p + 1) & 0x3F) << 12) |
             ((this.at(p + 2) & 0x3F) << 6) | (this.at(p + 3) & 0x3F);
      }
      p += size;
      if (cp >= 0x10000) {
        cp -= 0x10000;
        store<u16>(buf + (<usize>n << 1), <u16>(0xD800 | (cp >> 10)));
        store<u16>(buf + (<usize>(n + 1) << 1), <u16>(0xDC00 | (cp & 0x3FF)));
        n += 2;
      } else {
        store<u16>(buf + (<usize>n << 1), <u16>cp);
        n++;
      }
    }
    this.pos = p + 1;
    return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>n << 1);
  }

  private grow(): void {
    const old = this.buf;
    const next = new StaticArray<u16>(old.length << 1);
    memory.copy(changetype<usize>(next), changetype<usize>(old), <usize>old.length << 1);
    this.buf = next;
  }

  /** The value of 4 hex digits at `p`, or -1. */
  private hex4(p: i32): i32 {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const d = hexValue(this.at(p + i));
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /**
   * Length of the well-formed UTF-8 sequence starting with lead byte `b` at `p`, or 0 when it is
   * not well-formed (RFC 3629 table: no overlong forms, no surrogates, nothing above U+10FFFF).
   */
  private utf8Size(p: i32, b: i32): i32 {
    let size = 0, lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) size = 2;
    else if (b == 0xE0) { size = 3; lo = 0xA0; }
    else if (b == 0xED) { size = 3; hi = 0x9F; }
    else if (b >= 0xE1 && b <= 0xEF) size = 3;
    else if (b == 0xF0) { size = 4; lo = 0x90; }
    else if (b == 0xF4) { size = 4; hi = 0x8F; }
    else if (b >= 0xF1 && b <= 0xF3) size = 4;
    else return 0;
    const second = this.at(p + 1);
    if (second < lo || second > hi) return 0;
    for (let i = 2; i < size; i++) {
      const c = this.at(p + i);
      if (c < 0x80 || c > 0xBF) return 0;
    }
    return size;
  }
}

@inline function isDigit(c: i32): bool {
  return c >= ZERO && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (c >= ZERO && c <= 0x39) return c - ZERO;
  const l = c | 32;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}
