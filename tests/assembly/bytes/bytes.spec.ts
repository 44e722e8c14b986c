// The byte and character helpers every other module builds on.
import { FNV_OFFSET, fnvStep, hashBytes, isWord, isWordChar } from "../../../assembly/bytes";

function hashOf(s: string): u32 {
  let b = String.UTF8.encode(s);
  return hashBytes(changetype<usize>(b), <usize>b.byteLength);
}

describe("hashBytes", () => {
  it("is FNV-1a (reference values)", () => {
    expect(hashOf("")).toBe(0x811c9dc5);
    expect(hashOf("a")).toBe(0xe40c292c);
    expect(hashOf("foobar")).toBe(0xbf9cf968);
  });

  it("is the fold of fnvStep from FNV_OFFSET", () => {
    let h = FNV_OFFSET;
    h = fnvStep(h, 0x66);
    h = fnvStep(h, 0x6f);
    h = fnvStep(h, 0x6f);
    expect(hashOf("foo")).toBe(h);
  });
});

describe("isWordChar", () => {
  it("accepts exactly [A-Za-z0-9_-]", () => {
    let accepted = 0;
    for (let c = 0; c < 0x3000; c++) {
      let expected = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D;
      expect(isWordChar(c)).toBe(expected, c.toString());
      if (expected) accepted++;
    }
    expect(accepted).toBe(64);
  });
});

describe("isWord", () => {
  it("is every character a word character", () => {
    expect(isWord("dev-1_A")).toBe(true);
    expect(isWord("")).toBe(true);
    expect(isWord("a.b")).toBe(false);
    expect(isWord("é")).toBe(false);
    expect(isWord("a b")).toBe(false);
  });
});
