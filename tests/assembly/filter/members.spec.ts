// The key source parsers (assembly/filter/keys/{baggage,tracestate,cookie,query}.ts) on tables of
// header values: the W3C Baggage and Trace Context examples (valid and invalid), RFC 6265 cookie
// strings and RFC 3986 queries. Each row: the header value, the member asked for, the key
// expected ("" = no key).
import { baggageMember } from "../../../assembly/filter/keys/baggage";
import { tracestateMember } from "../../../assembly/filter/keys/tracestate";
import { cookieValue } from "../../../assembly/filter/keys/cookie";
import { queryParam } from "../../../assembly/filter/keys/query";
import { percentDecode } from "../../../assembly/bytes/scan";

export { malloc } from "../host";

type Parser = (ptr: usize, len: usize, namePtr: usize, nameLen: usize) => i64;

/** What `parse` finds for member `name` in `value`: the key, or "" for none. */
function run(parse: Parser, value: string, name: string): string {
  let v = String.UTF8.encode(value);
  let n = String.UTF8.encode(name);
  let found = parse(changetype<usize>(v), v.byteLength, changetype<usize>(n), n.byteLength);
  if (found < 0) return "";
  return String.UTF8.decodeUnsafe(changetype<usize>(v) + <usize>(found >>> 32), <usize>(found & 0xFFFFFFFF));
}

function table(parse: Parser, rows: string[]): void {
  for (let i = 0; i + 2 < rows.length; i += 3) {
    expect(run(parse, rows[i], rows[i + 1])).toBe(rows[i + 2], rows[i] + " / " + rows[i + 1]);
  }
}

describe("baggage (W3C Baggage)", () => {
  it("reads members per the spec's grammar and examples", () => {
    table(baggageMember, [
      // value, member, key
      "key1=value1,key2=value2", "key2", "value2",
      "key1 = value1, key2 = value2", "key2", "value2",          // OWS around = and ,
      "key1=value1;property1;property2, key2 = value2, key3=value3; propertyKey=propertyValue", "key3", "value3",
      "key1=value1;property1;property2, key2 = value2", "key1", "value1",
      "userId=alice,serverNode=DF%2028,isProduction=false", "serverNode", "DF 28",  // spec example
      "userId=Am%C3%A9lie", "userId", "Amélie",                       // spec example, UTF-8
      "routing-key=pr-1\t;p=1", "routing-key", "pr-1",
      " \trouting-key=a ", "routing-key", "a",
      "a=1,,  ,routing-key=b", "routing-key", "b",                  // empty list members
      "xrouting-key=x,routing-key=y", "routing-key", "y",           // a suffix is another key
      "routing-keyx=x,routing-key=y", "routing-key", "y",           // a prefix too
      "routing-keyx=x", "routing-key", "",
      "Routing-Key=x", "routing-key", "",                           // keys are case-sensitive
      "routing-key=first,routing-key=second", "routing-key", "first",
      "routing-key=a=b", "routing-key", "a=b",                      // = is a baggage-octet
      "other=1", "routing-key", "",
      "", "routing-key", "",
      "routing-key", "routing-key", "",                             // no =
      "routing-key=", "routing-key", "",                            // empty value
      "routing-key=;p", "routing-key", "",
      // invalid members are skipped, never an error
      "routing-key=a b,routing-key=c", "routing-key", "c",          // space inside a value
      "routing-key=\"q\",k=v", "routing-key", "",                   // DQUOTE is not a baggage-octet
      "routing-key=a\\b", "routing-key", "",                        // nor backslash
      // invalid percent-encoding: no key
      "routing-key=%zz", "routing-key", "",
      "routing-key=a%4", "routing-key", "",
      "routing-key=a%", "routing-key", "",
      "routing-key=%41%62", "routing-key", "Ab",
      "routing-key=a+b", "routing-key", "a+b",                      // + is not a space
    ]);
  });

  it("reads at most 64 list-members and 8192 bytes", () => {
    let s = "";
    for (let i = 0; i < 63; i++) s += "m" + i.toString() + "=v,";
    expect(run(baggageMember, s + "k=64th", "k")).toBe("64th");
    expect(run(baggageMember, s + "m=v,k=65th", "k")).toBe("");
    let pad = "p=" + "x".repeat(8180) + ",";
    expect(run(baggageMember, pad + "k=1", "k")).toBe("1", "within 8192 bytes");
    expect(run(baggageMember, pad + "xxxxxxx,k=1", "k")).toBe("", "beyond 8192 bytes");
    expect(run(baggageMember, pad + "k=12345678", "k")).toBe("", "a member cut at byte 8192 is not read");
    expect(run(baggageMember, pad + "k=1234567,x=1", "k")).toBe("1234567", "ending right at byte 8192");
    expect(run(baggageMember, pad + "k=12345", "k")).toBe("12345", "ending at byte 8190");
    expect(run(baggageMember, ",".repeat(70000) + "k=1", "k")).toBe("", "64 KiB of commas");
  });
});

describe("tracestate (W3C Trace Context)", () => {
  it("reads members per the spec's grammar and examples", () => {
    table(tracestateMember, [
      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "congo", "t61rcWkgMzE",   // spec example
      "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo", "00f067aa0ba902b7",
      "congo=ucfJifl5GOE,rojo=00f067aa0ba902b7", "congo", "ucfJifl5GOE",
      "fw529a3039@dt=a , sb=b", "fw529a3039@dt", "a",                       // multi-tenant key
      "fw529a3039@dt=a , sb=b", "sb", "b",
      "a=1,,  ,sb=x y", "sb", "x y",                                         // spaces inside a value
      "a=1 , sb=v \t", "sb", "v",
      "xsb=1,sbx=2", "sb", "",
      "sb = 1", "sb", "",                                                    // no OWS around =
      "sb=", "sb", "",
      "sb=a=b,sb=c", "sb", "c",                                              // = is not a value chr
      "sb=%41", "sb", "%41",                                                 // no decoding
    ]);
  });

  it("reads at most 32 list-members", () => {
    let s = "";
    for (let i = 0; i < 31; i++) s += "m" + i.toString() + "=v,";
    expect(run(tracestateMember, s + "k=32nd", "k")).toBe("32nd");
    expect(run(tracestateMember, s + "m=v,k=33rd", "k")).toBe("");
    expect(run(tracestateMember, "k=" + "v".repeat(257), "k")).toBe("", "a value over 256");
    expect(run(tracestateMember, "k=" + "v".repeat(256), "k")).toBe("v".repeat(256));
  });
});

describe("cookie (RFC 6265)", () => {
  it("reads cookie-pairs", () => {
    table(cookieValue, [
      "a=1; b=2", "b", "2",
      "a=1;b=2", "b", "2",
      "sandbox=\"pr-7\"; a=1", "sandbox", "pr-7",                // quoted value
      "sandbox=\"\"", "sandbox", "",
      "sandbox=\"x", "sandbox", "\"x",
      "xsandbox=1; sandboxx=2; sandbox=3", "sandbox", "3",
      "Sandbox=1", "sandbox", "",
      "sandbox=1; sandbox=2", "sandbox", "1",
      "sandbox=", "sandbox", "",
      "a=1; b=2; sandbox=c; d=4", "sandbox", "c",              // HTTP/2 crumbs as Envoy joins them
    ]);
  });
});

describe("query (RFC 3986)", () => {
  it("reads parameters of :path", () => {
    table(queryParam, [
      "/p?a=1&sandbox=pr-7", "sandbox", "pr-7",
      "/p?sandbox=pr-7#sandbox=x", "sandbox", "pr-7",
      "/p#?sandbox=x", "sandbox", "",
      "/p?a=1#&sandbox=x", "sandbox", "",
      "/p?sandbox=a%20b", "sandbox", "a b",
      "/p?sandbox=a+b", "sandbox", "a+b",
      "/p?sand%62ox=1", "sandbox", "1",                        // the name is decoded too
      "/p?sandbox=%zz", "sandbox", "",
      "/p?sandbox&sandbox=1", "sandbox", "",
      "/p?sandbox=&x=1", "sandbox", "",
      "/p?xsandbox=1&sandboxx=2", "sandbox", "",
      "/p?sandbox=1&sandbox=2", "sandbox", "1",
      "/sandbox=1", "sandbox", "",
      "/p?=1&sandbox=2", "sandbox", "2",
    ]);
  });
});

describe("percentDecode", () => {
  it("decodes in place or says the encoding is invalid", () => {
    let b = String.UTF8.encode("%2f%2F%");
    expect(percentDecode(changetype<usize>(b), 6)).toBe(2);
    expect(percentDecode(changetype<usize>(b), 7)).toBe(-1);
  });
});
