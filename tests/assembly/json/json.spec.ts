// The strict JSON parser: valid documents, every class of invalid input with its message, and a
// sweep showing that no input aborts.
import { JsonKind, JsonValue, MAX_SOURCE_BYTES, StringSet, parseJson, parseJsonBytes, parseJsonString, quote } from "../../../assembly/json";

/** Compact JSON text of a document; numbers as written in the source. */
function canon(v: JsonValue): string {
  switch (v.kind) {
    case JsonKind.Array: {
      const parts = new Array<string>();
      const e = v.elements();
      while (e.next()) parts.push(canon(e.value));
      return "[" + parts.join(",") + "]";
    }
    case JsonKind.Object: {
      const parts = new Array<string>();
      const f = v.fields();
      while (f.next()) parts.push(quote(f.name) + ":" + canon(f.value));
      return "{" + parts.join(",") + "}";
    }
    default:
      return v.scalarText();
  }
}

function parsed(src: string): string {
  const r = parseJsonString(src);
  if (r.error !== null) return "ERROR " + r.message("$");
  const text = canon(r.value!);
  r.release();
  return text;
}

/** The elements of an array value. */
function elementsOf(v: JsonValue): JsonValue[] {
  const out = new Array<JsonValue>();
  const e = v.elements();
  while (e.next()) out.push(e.value);
  return out;
}

// [input, canonical output]
const VALID: string[][] = [
  ["{}", "{}"],
  ["[]", "[]"],
  [" \t\r\n{ } \n", "{}"],
  ["0", "0"],
  ["-0", "-0"],
  ["1.50", "1.50"],
  ["-12.5e+3", "-12.5e+3"],
  ["1E-2", "1E-2"],
  ["true", "true"],
  ["false", "false"],
  ["null", "null"],
  ['""', '""'],
  ['"abc"', '"abc"'],
  ['"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"\\"\\\\/\\u0008\\u000c\\n\\r\\t"'],
  ['"\\u0041\\u00e9\\u20AC"', '"Aé€"'],
  ['"\\ud83d\\ude00"', '"😀"'],
  ['"é€😀"', '"é€😀"'],
  ['"\\u0000"', '"\\u0000"'],
  ['{"a":1,"b":[true,false,null],"c":{"d":"e"}}', '{"a":1,"b":[true,false,null],"c":{"d":"e"}}'],
  ['{"z":1,"a":2,"m":3}', '{"z":1,"a":2,"m":3}'],
  ['[[[[]]]]', '[[[[]]]]'],
  ['{"A":1,"a":2}', '{"A":1,"a":2}'],
  ['{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}', '{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10}'],
];

// [input, error message with root "$"]
const INVALID: string[][] = [
  ["", "$: invalid JSON at line 1, column 1: expected a value"],
  ["   ", "$: invalid JSON at line 1, column 4: expected a value"],
  ["{", "$: invalid JSON at line 1, column 2: expected a string field name or '}'"],
  ["[", "$: invalid JSON at line 1, column 2: expected a value or ']'"],
  ['{"a":1,}', "$: invalid JSON at line 1, column 8: expected a string field name"],
  ["[1,]", "$: invalid JSON at line 1, column 4: expected a value"],
  ["[1 2]", "$: invalid JSON at line 1, column 4: expected ',' or ']'"],
  ['{"a":1 "b":2}', "$: invalid JSON at line 1, column 8: expected ',' or '}'"],
  ['{"a" 1}', "$: invalid JSON at line 1, column 6: expected ':'"],
  ["{a:1}", "$: invalid JSON at line 1, column 2: expected a string field name or '}'"],
  ["{'a':1}", "$: invalid JSON at line 1, column 2: expected a string field name or '}'"],
  ['{"a":1}}', "$: invalid JSON at line 1, column 8: expected end of input"],
  ["{} {}", "$: invalid JSON at line 1, column 4: expected end of input"],
  ["// c\n{}", "$: invalid JSON at line 1, column 1: expected a value"],
  ['{"a":1 /* c */}', "$: invalid JSON at line 1, column 8: expected ',' or '}'"],
  ["01", "$: invalid JSON at line 1, column 1: expected no leading zero in a number"],
  ["-01", "$: invalid JSON at line 1, column 1: expected no leading zero in a number"],
  ["+1", "$: invalid JSON at line 1, column 1: expected a value"],
  [".5", "$: invalid JSON at line 1, column 1: expected a value"],
  ["-", "$: invalid JSON at line 1, column 2: expected a digit after '-'"],
  ["-a", "$: invalid JSON at line 1, column 2: expected a digit after '-'"],
  ["1.", "$: invalid JSON at line 1, column 3: expected a digit after '.'"],
  ["1.e5", "$: invalid JSON at line 1, column 3: expected a digit after '.'"],
  ["1e", "$: invalid JSON at line 1, column 3: expected a digit in the exponent"],
  ["1e+", "$: invalid JSON at line 1, column 4: expected a digit in the exponent"],
  ["NaN", "$: invalid JSON at line 1, column 1: expected a value"],
  ["Infinity", "$: invalid JSON at line 1, column 1: expected a value"],
  ["-Infinity", "$: invalid JSON at line 1, column 2: expected a digit after '-'"],
  ["tru", "$: invalid JSON at line 1, column 1: expected a value"],
  ["True", "$: invalid JSON at line 1, column 1: expected a value"],
  ["nul", "$: invalid JSON at line 1, column 1: expected a value"],
  ["truex", "$: invalid JSON at line 1, column 5: expected end of input"],
  ['"abc', "$: invalid JSON at line 1, column 5: expected '\"' to end the string"],
  ['"a\tb"', "$: invalid JSON at line 1, column 3: expected no raw control character in a string (escape it, e.g. \\n or \\u001f)"],
  ['"a\nb"', "$: invalid JSON at line 1, column 3: expected no raw control character in a string (escape it, e.g. \\n or \\u001f)"],
  ['"\\x41"', "$: invalid JSON at line 1, column 2: expected an escape: \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX"],
  ['"\\u12"', "$: invalid JSON at line 1, column 2: expected 4 hex digits after \\u"],
  ['"\\u12G4"', "$: invalid JSON at line 1, column 2: expected 4 hex digits after \\u"],
  ['"\\ud83d"', "$: invalid JSON at line 1, column 8: expected a low surrogate (\\uDC00-\\uDFFF) after a high surrogate"],
  ['"\\ud83d\\u0041"', "$: invalid JSON at line 1, column 8: expected a low surrogate (\\uDC00-\\uDFFF) after a high surrogate"],
  ['"\\ude00"', "$: invalid JSON at line 1, column 2: expected a high surrogate (\\uD800-\\uDBFF) before a low surrogate"],
  ["[\n  1,\n  2\n  3]", "$: invalid JSON at line 4, column 3: expected ',' or ']'"],
  ["{\r\n\"a\":\r\n}", "$: invalid JSON at line 3, column 1: expected a value"],
  ['{"é":x}', "$: invalid JSON at line 1, column 6: expected a value"],
  ['{"a":1,"a":2}', '$: duplicate field "a"'],
  ['{"routes":[{"name":"a","name":"b"}]}', '$: duplicate field "name"'.replace("$", "routes[0]")],
  ['{"r":[1,{"x":{"k":1,"k":2}}]}', 'r[1].x: duplicate field "k"'],
  ['{"a.b":{"k":1,"k":2}}', '["a.b"]: duplicate field "k"'],
  ['{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"e":10}', '$: duplicate field "e"'],
  // Names are compared by their text, escaped or not, in small and large objects.
  ['{"a":1,"\\u0061":2}', '$: duplicate field "a"'],
  ['{"x":{"é":1,"\\u00e9":2}}', 'x: duplicate field "é"'],
  ['{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"\\u0068":10}', '$: duplicate field "h"'],
  ['[{"k":[{"\\n":1,"\\u000a":2}]}]', '[0].k[0]: duplicate field "\\n"'],
];

// Raw bytes that a string cannot express: invalid UTF-8 and a BOM. [bytes, message]
class ByteCase {
  constructor(public bytes: u8[], public message: string) {}
}
const BAD_UTF8: ByteCase[] = [
  new ByteCase([0x22, 0xFF, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"),
  new ByteCase([0x22, 0xC0, 0x80, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // overlong NUL
  new ByteCase([0x22, 0xE0, 0x80, 0xAF, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // overlong
  new ByteCase([0x22, 0xED, 0xA0, 0x80, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // surrogate
  new ByteCase([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // > U+10FFFF
  new ByteCase([0x22, 0xE2, 0x82, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // truncated
  new ByteCase([0x22, 0x80, 0x22], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // lone continuation
  new ByteCase([0x22, 0xE2, 0x82], "$: invalid JSON at line 1, column 2: expected valid UTF-8"), // truncated at the end
  new ByteCase([0xEF, 0xBB, 0xBF, 0x7B, 0x7D], "$: invalid JSON at line 1, column 1: expected a value"), // BOM
  new ByteCase([0x7B, 0x00, 0x7D], "$: invalid JSON at line 1, column 2: expected a string field name or '}'"),
];

function bytesOf(a: u8[]): Uint8Array {
  const b = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) b[i] = a[i];
  return b;
}

describe("json: valid documents", () => {
  it("parse to the expected tree", () => {
    for (let i = 0; i < VALID.length; i++) {
      expect(parsed(VALID[i][0])).toBe(VALID[i][1], VALID[i][0]);
    }
  });

  it("keep numbers' source text and value", () => {
    const items = elementsOf(parseJsonString("[1.50, -2e3, 0.1, 1e400, 12345678901234567890]").value!);
    expect(items[0].str).toBe("1.50");
    expect(items[0].num).toBe(1.5);
    expect(items[1].num).toBe(-2000.0);
    expect(items[2].num).toBe(0.1);
    expect(items[3].num).toBe(Infinity);
    expect(items[4].str).toBe("12345678901234567890");
  });

  it("offer has/get that never abort", () => {
    const v = parseJsonString('{"a":"x"}').value!;
    expect(v.has("a")).toBe(true);
    expect(v.has("b")).toBe(false);
    expect(v.get("b")).toBeNull();
    expect(v.get("a")!.str).toBe("x");
    expect(parseJsonString("null").value!.get("a")).toBeNull();
    expect(parseJsonString("[1]").value!.get("a")).toBeNull();
  });

  it("accept 64 levels of nesting, refuse 65", () => {
    expect(parseJsonString("[".repeat(64) + "]".repeat(64)).error).toBeNull();
    expect(parseJsonString("[".repeat(65) + "]".repeat(65)).message("$"))
      .toBe("$: invalid JSON at line 1, column 65: expected at most 64 nested arrays and objects");
    expect(parseJsonString('{"a":'.repeat(65) + "1" + "}".repeat(65)).message("$"))
      .toBe("$: invalid JSON at line 1, column 321: expected at most 64 nested arrays and objects");
    // Far deeper input stops at the limit (no stack overflow).
    expect(parseJsonString("[".repeat(100000)).error).not.toBeNull();
  });

  it("handle long strings and large arrays linearly", () => {
    const big = "x".repeat(200000);
    expect(parseJsonString('"' + big + '"').value!.str.length).toBe(200000);
    const parts = new Array<string>();
    for (let i = 0; i < 20000; i++) parts.push('{"k":"' + i.toString() + '"}');
    expect(parseJsonString("[" + parts.join(",") + "]").value!.length).toBe(20000);
  });
});

describe("json: the document", () => {
  it("decodes escaped strings and keeps plain ones as they are", () => {
    const parts = new Array<string>();
    for (let i = 0; i < 2000; i++) {
      parts.push('"k\\u00e9' + i.toString() + '\\n"');
      parts.push('"plain' + i.toString() + '"');
    }
    const r = parseJsonString("[" + parts.join(",") + "]");
    const items = elementsOf(r.value!);
    expect(items.length).toBe(4000);
    for (let i = 0; i < 2000; i++) {
      expect(items[2 * i].str).toBe("ké" + i.toString() + "\n");
      expect(items[2 * i + 1].str).toBe("plain" + i.toString());
    }
    r.release();
  });

  it("reads as null once released", () => {
    const r = parseJsonString('{"a":[1,"x"]}');
    const v = r.value!;
    const a = v.get("a")!;
    r.release();
    expect(v.isNull).toBe(true);
    expect(a.isNull).toBe(true);
    expect(a.length).toBe(0);
    expect(a.str).toBe("");
    expect(v.get("a")).toBeNull();
    expect(a.elements().next()).toBe(false);
  });

  it("walks fields of objects and elements of arrays only", () => {
    const obj = parseJsonString('{"a":1}').value!;
    const arr = parseJsonString('["a",1]').value!;
    expect(obj.elements().next()).toBe(false);
    expect(arr.fields().next()).toBe(false);
    expect(parseJsonString('"s"').value!.fields().next()).toBe(false);
    const f = obj.fields();
    expect(f.next()).toBe(true);
    expect(f.index).toBe(0);
    expect(f.name).toBe("a");
    expect(f.is("a")).toBe(true);
    expect(f.is("é")).toBe(false);
    expect(f.value.str).toBe("1");
    expect(f.next()).toBe(false);
  });

  it("matches field names with non-ASCII text", () => {
    const f = parseJsonString('{"\\u00e9t\\u00e9":1}').value!.fields();
    expect(f.next()).toBe(true);
    expect(f.is("été")).toBe(true);
    expect(f.is("ete")).toBe(false);
    expect(f.is("étés")).toBe(false);
  });

  it("counts the text a value holds", () => {
    // ab cd | n 12 | t true | f false | z null | e é  (é is 2 bytes)
    const v = parseJsonString('{"ab":"cd","n":12,"t":true,"f":false,"z":null,"e":"\\u00e9"}').value!;
    expect(v.textBytes()).toBe(4 + 3 + 5 + 6 + 5 + 3);
    expect(v.get("n")!.textBytes()).toBe(2);
  });
});

describe("json: StringSet", () => {
  it("finds strings by their text and grows past what it expected", () => {
    const parts = new Array<string>();
    for (let i = 0; i < 500; i++) parts.push('"s' + i.toString() + '"');
    for (let i = 0; i < 500; i++) parts.push('"\\u0073' + i.toString() + '"'); // the same texts, escaped
    const v = parseJsonString("[" + parts.join(",") + "]").value!;
    const set = new StringSet(v.doc, 1);
    const e = v.elements();
    while (e.next()) expect(set.add(e.value.at)).toBe(e.index < 500, e.index.toString());
    set.release();
  });
});

describe("json: invalid documents", () => {
  it("are refused with line, column and what was expected", () => {
    for (let i = 0; i < INVALID.length; i++) {
      expect(parsed(INVALID[i][0])).toBe("ERROR " + INVALID[i][1], INVALID[i][0]);
    }
  });

  it("refuse invalid UTF-8 and a BOM", () => {
    for (let i = 0; i < BAD_UTF8.length; i++) {
      const r = parseJson(bytesOf(BAD_UTF8[i].bytes));
      expect(r.message("$")).toBe(BAD_UTF8[i].message);
    }
  });

  it("refuse a source of 256 MiB or more before reading a byte of it", () => {
    // The length is all that is looked at: the 4 bytes here stand for the rest.
    const b = Uint8Array.wrap(String.UTF8.encode("[1] "));
    const r = parseJsonBytes(b.dataStart, MAX_SOURCE_BYTES);
    expect(r.value).toBeNull();
    expect(r.message("$")).toBe("$: invalid JSON: expected under 256 MiB");
    expect(parseJsonBytes(b.dataStart, 3).value!.length).toBe(1);
  });

  it("count columns in characters", () => {
    expect(parsed('["é😀", x]')).toBe("ERROR $: invalid JSON at line 1, column 8: expected a value");
  });
});

// ---- never aborts ----------------------------------------------------------------------------

let seed: u32 = 0x2545F491;
function rand(): u32 {
  // xorshift32: deterministic.
  seed ^= seed << 13;
  seed ^= seed >> 17;
  seed ^= seed << 5;
  return seed;
}

const ALPHABET = '{}[]":,\\-+.0123456789eEtrufalsn \n\tu/bx';

/** Parses `b`; fails the test unless exactly one of value and error is set. */
function check(b: Uint8Array): void {
  const r = parseJson(b);
  if ((r.value === null) == (r.error === null)) {
    expect<bool>(false).toBe(true, "value and error both null or both set");
  }
  r.release();
}

const SAMPLE = '{"key":"x-env","routes":[{"name":"dev","keys":["d\\u00e9v","\\ud83d\\ude00"],"n":-1.5e3,' +
  '"b":[true,false,null],"o":{}}],"s":"é€😀"}';

describe("json: never aborts", () => {
  it("on every truncation of a valid document", () => {
    const full = Uint8Array.wrap(String.UTF8.encode(SAMPLE));
    for (let n = 0; n <= full.length; n++) check(full.subarray(0, n));
  });

  it("on random mutations of a valid document", () => {
    const full = Uint8Array.wrap(String.UTF8.encode(SAMPLE));
    for (let round = 0; round < 5000; round++) {
      const b = full.slice(0);
      const edits = 1 + <i32>(rand() % 4);
      for (let e = 0; e < edits; e++) b[<i32>(rand() % <u32>b.length)] = <u8>rand();
      check(b.subarray(0, <i32>(rand() % <u32>(b.length + 1))));
    }
  });

  it("on random bytes and random JSON-ish text", () => {
    for (let round = 0; round < 5000; round++) {
      const n = <i32>(rand() % 48);
      const b = new Uint8Array(n);
      const textual = (round & 1) == 0;
      for (let i = 0; i < n; i++) {
        b[i] = textual ? <u8>ALPHABET.charCodeAt(<i32>(rand() % <u32>ALPHABET.length)) : <u8>rand();
      }
      check(b);
    }
  });

  it("on every byte value at every position of a short document", () => {
    const base = Uint8Array.wrap(String.UTF8.encode('{"a":["\\u00e9",1e5,true]}'));
    for (let pos = 0; pos < base.length; pos++) {
      for (let v = 0; v < 256; v++) {
        const b = base.slice(0);
        b[pos] = <u8>v;
        check(b);
      }
    }
  });
});
