// A small strict JSON parser (RFC 8259) that returns errors as values.
//
// Why our own: AssemblyScript has no exceptions, and the AssemblyScript JSON libraries available
// (assemblyscript-json, json-as) abort on malformed input; an abort kills the plugin's VM in
// Envoy. This parser never aborts, whatever the bytes: every failure is a `JsonResult` with an
// error. It runs once, at configuration time, and is linear in the input size. It builds no
// objects: it validates the text and writes a tape of tokens (json/document.ts) that points
// into it; strings with escapes are decoded to UTF-8 beside the tape.
//
// Strict means: one value with optional whitespace around it; no comments, trailing commas,
// leading zeros, `+1`, `.5`, NaN/Infinity, single quotes or BOM; raw control characters in strings
// refused; every escape (including \uXXXX and surrogate pairs) decoded; unpaired surrogates and
// invalid UTF-8 (overlong forms, encoded surrogates, > U+10FFFF) refused; at most 64 nested
// arrays/objects; duplicate field names refused (reported with the object's field path).
// The caller limits the input size; the tape (document.ts) takes sources under 256 MiB.
import { JsonDocument, JsonKind, MAX_SOURCE_BYTES } from "./document";
import { JsonValue, quote } from "./value";
import { StringSet } from "./stringset";
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

  /** Frees the document's tape: call once done with `value` (whose values then read as null). */
  release(): void {
    const v = this.value;
    if (v !== null) v.doc.release();
  }

  /** The error as one line, `<path>: <error>`, naming the root `root`. */
  message(root: string): string {
    const e = this.error;
    if (e === null) return "";
    return (this.errorPath.length == 0 ? root : this.errorPath) + ": " + e;
  }
}

/** Parses `bytes` (UTF-8). Never aborts. */
export function parseJson(bytes: Uint8Array): JsonResult {
  return new Parser(new JsonDocument(bytes.dataStart, bytes.length, bytes)).run();
}

/** Parses the UTF-8 bytes at ptr..ptr+len, which must stay valid while the result is used. */
export function parseJsonBytes(ptr: usize, len: i32): JsonResult {
  return new Parser(new JsonDocument(ptr, len)).run();
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
  /**
   * The path to the value being parsed, by depth of the containers open around it: the token of
   * the field name being parsed (objects), or -1 and the element's index (arrays). Only read to
   * name the object of a duplicate field.
   */
  private readonly pathKeys: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  private readonly pathIndexes: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);

  constructor(private readonly doc: JsonDocument) {
    this.ptr = doc.source;
    this.len = doc.sourceLength;
  }

  run(): JsonResult {
    // Refused before a byte is read (the tape's lengths and indexes take 28 bits).
    if (<u32>this.len >= <u32>MAX_SOURCE_BYTES) return new JsonResult(null, "invalid JSON: expected under 256 MiB", "");
    this.skipSpace();
    if (this.value(1)) {
      this.skipSpace();
      if (this.pos < this.len) this.fail("end of input", this.pos);
    }
    const e = this.error;
    if (e !== null) {
      this.doc.release();
      return new JsonResult(null, e, this.errorPath);
    }
    return new JsonResult(new JsonValue(this.doc, 0), null, "");
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

  /** Records the first syntax error, at byte offset `at`. Returns false for `return this.fail(…)`. */
  private fail(expected: string, at: i32): bool {
    if (this.error === null) {
      this.error = "invalid JSON at " + this.lineColumn(at) + ": expected " + expected;
    }
    return false;
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

  /** Parses the value at `pos` onto the tape; `expected` names what was wanted when there is none. */
  private value(depth: i32, expected: string = "a value"): bool {
    const c = this.at(this.pos);
    if (c == LBRACE) return this.object(depth);
    if (c == LBRACKET) return this.array(depth);
    if (c == QUOTE) return this.string() >= 0;
    if (c == MINUS || (c >= ZERO && c <= 0x39)) return this.number();
    if (this.literal("true")) return this.scalar(JsonKind.Bool, 1);
    if (this.literal("false")) return this.scalar(JsonKind.Bool, 0);
    if (this.literal("null")) return this.scalar(JsonKind.Null, 0);
    return this.fail(expected, this.pos);
  }

  private scalar(kind: JsonKind, a: u32): bool {
    this.doc.push(kind, a, 0);
    return true;
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

  private object(depth: i32): bool {
    if (depth > MAX_DEPTH) return this.fail("at most " + MAX_DEPTH.toString() + " nested arrays and objects", this.pos);
    this.pos++; // {
    const doc = this.doc;
    const self = doc.push(JsonKind.Object, 0, 0);
    let count: u32 = 0;
    // The field names so far, once there are too many to scan (freed below, whatever happens).
    let seen: StringSet | null = null;
    let done = false;
    this.skipSpace();
    if (this.at(this.pos) == RBRACE) {
      this.pos++;
      done = true;
    }
    while (!done) {
      if (this.at(this.pos) != QUOTE) {
        this.fail(count == 0 ? "a string field name or '}'" : "a string field name", this.pos);
        break;
      }
      const key = this.string();
      if (key < 0) break;
      // Duplicate field names: a scan while the object is small, a hash set beyond.
      if (seen === null && count >= <u32>SMALL_OBJECT) seen = this.fieldNames(self, count);
      if (seen !== null ? !seen.add(key) : this.isEarlierField(self, key)) {
        this.duplicate(key, depth);
        break;
      }

      this.skipSpace();
      if (this.at(this.pos) != COLON) {
        this.fail("':'", this.pos);
        break;
      }
      this.pos++;
      this.skipSpace();
      this.pathKeys[depth] = key;
      if (!this.value(depth + 1)) break;
      count++;

      this.skipSpace();
      const c = this.at(this.pos);
      if (c == RBRACE) {
        this.pos++;
        done = true;
        break;
      }
      if (c != COMMA) {
        this.fail("',' or '}'", this.pos);
        break;
      }
      this.pos++;
      this.skipSpace();
    }
    if (seen !== null) seen.release();
    if (done) doc.close(self, count, doc.count);
    return done;
  }

  /** Whether the field name `key` of the object at `self` repeats one of its earlier fields. */
  private isEarlierField(self: i32, key: i32): bool {
    const doc = this.doc;
    for (let k = self + 1; k < key; k = doc.end(k + 1)) {
      if (doc.sameText(k, key)) return true;
    }
    return false;
  }

  /** A set of the first `count` field names of the object at `self`. */
  private fieldNames(self: i32, count: u32): StringSet {
    const doc = this.doc;
    const seen = new StringSet(doc, <i32>count * 2);
    let k = self + 1;
    for (let i: u32 = 0; i < count; i++) {
      seen.add(k);
      k = doc.end(k + 1);
    }
    return seen;
  }

  /** Records `duplicate field "name"` for the object at `depth`, with that object's path. */
  private duplicate(key: i32, depth: i32): void {
    let path = "";
    for (let d = 1; d < depth; d++) {
      const k = this.pathKeys[d];
      path = k >= 0 ? fieldPath(path, new JsonValue(this.doc, k).str) : indexPath(path, this.pathIndexes[d]);
    }
    this.error = "duplicate field " + quote(new JsonValue(this.doc, key).str);
    this.errorPath = path;
  }

  private array(depth: i32): bool {
    if (depth > MAX_DEPTH) return this.fail("at most " + MAX_DEPTH.toString() + " nested arrays and objects", this.pos);
    this.pos++; // [
    const doc = this.doc;
    const self = doc.push(JsonKind.Array, 0, 0);
    let count: u32 = 0;
    this.skipSpace();
    if (this.at(this.pos) == RBRACKET) {
      this.pos++;
      doc.close(self, 0, doc.count);
      return true;
    }
    this.pathKeys[depth] = -1;
    while (true) {
      this.pathIndexes[depth] = <i32>count;
      if (!this.value(depth + 1, count == 0 ? "a value or ']'" : "a value")) return false;
      count++;
      this.skipSpace();
      const c = this.at(this.pos);
      if (c == RBRACKET) {
        this.pos++;
        doc.close(self, count, doc.count);
        return true;
      }
      if (c != COMMA) return this.fail("',' or ']'", this.pos);
      this.pos++;
      this.skipSpace();
    }
  }

  private number(): bool {
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
    this.doc.push(JsonKind.Number, <u32>start, <u32>(p - start));
    return true;
  }

  /**
   * Parses the string starting at `pos` (on the opening quote) onto the tape; returns its token,
   * or -1 after an error. Text without escapes stays where it is, in the source.
   */
  private string(): i32 {
    const start = this.pos + 1;
    let p = start;
    while (true) {
      if (p >= this.len) {
        this.fail("'\"' to end the string", p);
        return -1;
      }
      const b = <i32>load<u8>(this.ptr + <usize>p);
      if (b == QUOTE) break;
      if (b == BACKSLASH) return this.escapedString(start, p);
      if (b < 0x20) {
        this.fail("no raw control character in a string (escape it, e.g. \\n or \\u001f)", p);
        return -1;
      }
      if (b < 0x80) {
        p++;
        continue;
      }
      const size = this.utf8Size(p, b);
      if (size == 0) {
        this.fail("valid UTF-8", p);
        return -1;
      }
      p += size;
    }
    this.pos = p + 1;
    return this.doc.push(JsonKind.String, <u32>start, <u32>(p - start));
  }

  /**
   * The rest of a string that has an escape at `p` (plain, valid text from `start`): decoded to
   * UTF-8 in the document's `unescaped` bytes, checked as strictly as `string`.
   */
  private escapedString(start: i32, p: i32): i32 {
    const doc = this.doc;
    // Decoding never makes text longer, so the source up to the closing quote bounds it.
    let end = p;
    while (end < this.len) {
      const b = load<u8>(this.ptr + <usize>end);
      if (b == QUOTE) break;
      end += b == BACKSLASH ? 2 : 1;
    }
    const offset = doc.reserveUnescaped(<u32>(min(end, this.len) - start));
    const out = doc.unescapedPtr(offset);
    let n: usize = <usize>(p - start);
    memory.copy(out, this.ptr + <usize>start, n);
    while (true) {
      if (p >= this.len) {
        this.fail("'\"' to end the string", p);
        return -1;
      }
      const b = <i32>load<u8>(this.ptr + <usize>p);
      if (b == QUOTE) break;
      if (b < 0x20) {
        this.fail("no raw control character in a string (escape it, e.g. \\n or \\u001f)", p);
        return -1;
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
            return -1;
          }
          if (hi >= 0xDC00 && hi <= 0xDFFF) {
            this.fail("a high surrogate (\\uD800-\\uDBFF) before a low surrogate", p);
            return -1;
          }
          if (hi >= 0xD800 && hi <= 0xDBFF) {
            const lo = this.at(p + 6) == BACKSLASH && this.at(p + 7) == 0x75 ? this.hex4(p + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF) {
              this.fail("a low surrogate (\\uDC00-\\uDFFF) after a high surrogate", p + 6);
              return -1;
            }
            n += putUtf8(out + n, 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
            p += 12;
            continue;
          }
          n += putUtf8(out + n, hi);
          p += 6;
          continue;
        }
        if (unit < 0) {
          this.fail("an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", p);
          return -1;
        }
        store<u8>(out + n, <u8>unit);
        n++;
        p += 2;
        continue;
      }
      if (b < 0x80) {
        store<u8>(out + n, <u8>b);
        n++;
        p++;
        continue;
      }
      // Multi-byte UTF-8: copied once it is known to be well-formed.
      const size = this.utf8Size(p, b);
      if (size == 0) {
        this.fail("valid UTF-8", p);
        return -1;
      }
      memory.copy(out + n, this.ptr + <usize>p, <usize>size);
      n += <usize>size;
      p += size;
    }
    this.pos = p + 1;
    doc.trimUnescaped(offset, <u32>n);
    const token = doc.push(JsonKind.String, offset, <u32>n);
    doc.markEscaped(token);
    return token;
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

/** Writes code point `cp` (not a surrogate) as UTF-8 at `out`; returns the byte count. */
function putUtf8(out: usize, cp: i32): usize {
  if (cp < 0x80) {
    store<u8>(out, <u8>cp);
    return 1;
  }
  if (cp < 0x800) {
    store<u8>(out, <u8>(0xC0 | (cp >> 6)));
    store<u8>(out, <u8>(0x80 | (cp & 0x3F)), 1);
    return 2;
  }
  if (cp < 0x10000) {
    store<u8>(out, <u8>(0xE0 | (cp >> 12)));
    store<u8>(out, <u8>(0x80 | ((cp >> 6) & 0x3F)), 1);
    store<u8>(out, <u8>(0x80 | (cp & 0x3F)), 2);
    return 3;
  }
  store<u8>(out, <u8>(0xF0 | (cp >> 18)));
  store<u8>(out, <u8>(0x80 | ((cp >> 12) & 0x3F)), 1);
  store<u8>(out, <u8>(0x80 | ((cp >> 6) & 0x3F)), 2);
  store<u8>(out, <u8>(0x80 | (cp & 0x3F)), 3);
  return 4;
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
