// Destinations and header names/values (config/destination.ts, config/headers.ts).
import { parseDestination, EXPECTED_DESTINATION } from "../../../assembly/config/destination";
import {
  checkHeaderValue, keyHeaderName, opHeaderName, responseHeaderName,
} from "../../../assembly/config/headers";

// [destination, authority, pathPrefix ("" = null)]
const VALID: string[][] = [
  ["example.org", "example.org", ""],
  ["dev.svc:8080", "dev.svc:8080", ""],
  ["localhost", "localhost", ""],
  ["my-svc-1.ns.svc.cluster.local:1", "my-svc-1.ns.svc.cluster.local:1", ""],
  ["a-b.c", "a-b.c", ""],
  ["http://a/..a/b.../.x", "a", "/..a/b.../.x"],
  ["10.0.0.1", "10.0.0.1", ""],
  ["255.255.255.255:65535", "255.255.255.255:65535", ""],
  ["[::1]", "[::1]", ""],
  ["[2001:db8::8a2e:370:7334]:443", "[2001:db8::8a2e:370:7334]:443", ""],
  ["[::ffff:10.0.0.1]", "[::ffff:10.0.0.1]", ""],
  ["[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8]", ""],
  ["[1:2:3:4:5:6:7::]", "[1:2:3:4:5:6:7::]", ""],
  ["[::]", "[::]", ""],
  ["http://example.com", "example.com", ""],
  ["https://example.com/", "example.com", ""],
  ["http://example.com:8080/api", "example.com:8080", "/api"],
  ["http://example.com/api/", "example.com", "/api"],
  ["http://example.com/a/b//", "example.com", "/a/b"],
  ["http://example.com/a%20b/~x;y=1", "example.com", "/a%20b/~x;y=1"],
  ["HTTPS://Example.COM/P", "Example.COM", "/P"],
  ["http://[::1]:9000/p", "[::1]:9000", "/p"],
  ["http://1.2.3.4/", "1.2.3.4", ""],
];

const GENERIC = EXPECTED_DESTINATION;
const NO_HOST = "a destination with a host";
const PORT = "a port from 1 to 65535";
const QUERY = "a destination without query string or fragment";
const USER = "a destination without user-info (user@)";
const PATH = "a path of URL characters (%XX for others), no //, ., .., %2e, %2f, %5c";

// [destination, expected]
const INVALID: string[][] = [
  ["", NO_HOST],
  [":80", NO_HOST],
  ["http://", NO_HOST],
  ["https:///api", NO_HOST],
  ["ftp://x", GENERIC],
  ["grpc://x:1", GENERIC],
  ["://x", GENERIC],
  ["x.svc/api", GENERIC],
  ["::", GENERIC],
  ["::1", GENERIC],
  ["[::1", GENERIC],
  ["[::1]x", GENERIC],
  ["[1::2::3]", GENERIC],
  ["[1:2:3:4:5:6:7:8:9]", GENERIC],
  ["[12345::]", GENERIC],
  ["[:1]", GENERIC],
  ["[1:]", GENERIC],
  ["[fe80::1%25eth0]", GENERIC],
  ["[]", GENERIC],
  ["[::1.2.3]", GENERIC],
  ["1.2.3", GENERIC],
  ["1.2.3.4.5", GENERIC],
  ["256.1.1.1", GENERIC],
  ["01.1.1.1", GENERIC],
  ["a..b", GENERIC],
  [".a", GENERIC],
  ["a.", GENERIC],
  ["a b", GENERIC],
  ["a\tb", GENERIC],
  ["exämple.org", GENERIC],
  ["a".repeat(64) + ".svc", GENERIC],
  ["a:1:2", GENERIC],
  ["a.svc:0", PORT],
  ["a.svc:65536", PORT],
  ["a.svc:080", PORT],
  ["a.svc:", PORT],
  ["a.svc:-1", PORT],
  ["a.svc:99999999999", PORT],
  ["[::1]:0", PORT],
  ["http://a.svc?x", QUERY],
  ["http://a.svc/p?x=1", QUERY],
  ["http://a.svc/#top", QUERY],
  ["a.svc?x", QUERY],
  ["http://user@a.svc", USER],
  ["http://u:p@a.svc:80/x", USER],
  ["http://a.svc/a b", PATH],
  ["http://a.svc/%zz", PATH],
  ["http://a.svc/%4", PATH],
  ["http://a//evil.com", PATH],
  ["http://a/../x", PATH],
  ["http://a/x/.", PATH],
  ["http://a/x/./y", PATH],
  ["http://a/x//y/", PATH],
  ["http://a/%2e%2E/x", PATH],
  ["http://a/x%2Fy", PATH],
  ["http://a/x%5cy", PATH],
  ["http://a/x\\y", PATH],
  ["-", GENERIC],
  ["_", GENERIC],
  ["my_host.svc", GENERIC],
  ["-a.svc", GENERIC],
  ["a-.svc", GENERIC],
  ["a.-b", GENERIC],
  ["a..b", GENERIC],
  ["http://a.svc/é", PATH],
];

describe("destinations", () => {
  it("accept host, host:port, IPv4, [IPv6] and http(s) URLs", () => {
    for (let i = 0; i < VALID.length; i++) {
      const d = parseDestination(VALID[i][0]);
      expect(d.authority).toBe(VALID[i][1], VALID[i][0]);
      const prefix = d.pathPrefix;
      expect(prefix === null ? "" : prefix!).toBe(VALID[i][2], VALID[i][0]);
    }
  });

  it("refuse everything else, saying what was expected", () => {
    for (let i = 0; i < INVALID.length; i++) {
      const d = parseDestination(INVALID[i][0]);
      expect(d.authority).toBeNull(INVALID[i][0]);
      expect(d.expected).toBe(INVALID[i][1], INVALID[i][0]);
    }
  });

  it("accept a 253-character host of 63-character labels", () => {
    const label = "a".repeat(63);
    const host = label + "." + label + "." + label + "." + "a".repeat(61);
    expect(host.length).toBe(253);
    expect(parseDestination(host).authority).toBe(host);
    expect(parseDestination(host + "a").authority).toBeNull();
  });
});

// [name, result ("!" + expected when refused)]
const KEY_HEADERS: string[][] = [
  ["x-env", "x-env"],
  ["X-Env", "x-env"],
  ["Host", ":authority"],
  [":authority", ":authority"],
  [":PATH", ":path"],
  [":method", ":method"],
  ["!#$%&'*+-.^_`|~09az", "!#$%&'*+-.^_`|~09az"],
  ["", "!a header name (token characters, or :authority, :path or :method)"],
  [":scheme", "!a header name (token characters, or :authority, :path or :method)"],
  ["a b", "!a header name (token characters, or :authority, :path or :method)"],
  ["a:b", "!a header name (token characters, or :authority, :path or :method)"],
  ["é", "!a header name (token characters, or :authority, :path or :method)"],
  ["a\"b", "!a header name (token characters, or :authority, :path or :method)"],
];

const NOT_PSEUDO = "!a header that is not a pseudo-header (:path, :method, :scheme and :status cannot be changed)";
const ONLY_SET = "!a header other than Host/:authority (the authority can only be set)";
// [name, as set, as add/remove]
const OP_HEADERS: string[][] = [
  ["X-Sandbox", "x-sandbox", "x-sandbox"],
  ["Host", ":authority", ONLY_SET],
  ["host", ":authority", ONLY_SET],
  [":authority", ":authority", ONLY_SET],
  [":path", NOT_PSEUDO, NOT_PSEUDO],
  [":method", NOT_PSEUDO, NOT_PSEUDO],
  [":scheme", NOT_PSEUDO, NOT_PSEUDO],
  [":status", NOT_PSEUDO, NOT_PSEUDO],
  ["", "!a header name (token characters; Host or :authority for the authority)",
    "!a header name (token characters; Host or :authority for the authority)"],
  ["a,b", "!a header name (token characters; Host or :authority for the authority)",
    "!a header name (token characters; Host or :authority for the authority)"],
];

describe("header names", () => {
  it("for key sources", () => {
    for (let i = 0; i < KEY_HEADERS.length; i++) {
      const r = keyHeaderName(KEY_HEADERS[i][0]);
      const n = r.name;
      expect(n === null ? "!" + r.expected : n!).toBe(KEY_HEADERS[i][1], KEY_HEADERS[i][0]);
    }
  });

  it("for header operations", () => {
    for (let i = 0; i < OP_HEADERS.length; i++) {
      for (let col = 1; col <= 2; col++) {
        const r = opHeaderName(OP_HEADERS[i][0], col == 1);
        const n = r.name;
        expect(n === null ? "!" + r.expected : n!).toBe(OP_HEADERS[i][col], OP_HEADERS[i][0]);
      }
    }
  });

  it("for the decision header (no pseudo-headers)", () => {
    expect(responseHeaderName("X-Routekey-Route").name).toBe("x-routekey-route");
    expect(responseHeaderName(":status").name).toBeNull();
    expect(responseHeaderName("").name).toBeNull();
  });
});

describe("header values", () => {
  it("refuse CR, LF and NUL, and more than 8192 bytes", () => {
    expect(checkHeaderValue("")).toBeNull();
    expect(checkHeaderValue("any text, \t quotes \" and é")).toBeNull();
    expect(checkHeaderValue("a\rb")).toBe("a header value without CR, LF or other controls");
    expect(checkHeaderValue("a\nb")).toBe("a header value without CR, LF or other controls");
    expect(checkHeaderValue("a\0b")).toBe("a header value without CR, LF or other controls");
    expect(checkHeaderValue("a\u0001b")).toBe("a header value without CR, LF or other controls");
    expect(checkHeaderValue("a\u007fb")).toBe("a header value without CR, LF or other controls");
    expect(checkHeaderValue(" a")).toBe("a header value not starting or ending in space");
    expect(checkHeaderValue("a\t")).toBe("a header value not starting or ending in space");
    expect(checkHeaderValue("a.svc:80", ":authority")).toBeNull();
    expect(checkHeaderValue("a b", ":authority")).toBe("an authority (DNS name or IP, :port)");
    expect(checkHeaderValue("v".repeat(8192))).toBeNull();
    expect(checkHeaderValue("v".repeat(8193))).toBe("a header value of at most 8192 bytes");
    // Bytes, not characters: 4097 × 2-byte é.
    expect(checkHeaderValue("é".repeat(4097))).toBe("a header value of at most 8192 bytes");
  });
});
