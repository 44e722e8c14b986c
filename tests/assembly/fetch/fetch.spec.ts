// The pure parts of live rules (assembly/fetch/, config/document.ts): the lease value and its
// decision, the backoff, what is published in shared data, the callout's header pairs, and a
// rules document's errors.
import { LEASE_BYTES, LeaseStep, encodeLease, leaseHolder, leaseStep } from "../../../assembly/fetch/lease";
import { backoffCapMs, nextDelayMs } from "../../../assembly/fetch/backoff";
import { decodeGeneration, decodePublished, encodePublished, publishedSize } from "../../../assembly/fetch/published";
import { requestHeaders, serializePairs, calloutTimeoutMs } from "../../../assembly/fetch/request";
import { parseRulesDocumentBytes } from "../../../assembly/config/document";
import { ConfigCollector } from "../../../assembly/config/sink";
import { KeySource, KeySourceKind } from "../../../assembly/config/model";
import { RulesService } from "../../../assembly/config/service";

const ME: u64 = 0xABCDEF;
const OTHER: u64 = 0x123457;

// The buffers stay referenced: a raw pointer alone does not keep them from the collector.
const KEEP: ArrayBuffer[] = [];

function lease(holder: u64, expires: u64): usize {
  const buf = new ArrayBuffer(LEASE_BYTES);
  KEEP.push(buf);
  encodeLease(changetype<usize>(buf), holder, expires);
  return changetype<usize>(buf);
}

describe("fetch: the lease", () => {
  it("encodes holder and expiry in 16 bytes", () => {
    const p = lease(ME, 5000);
    expect(leaseHolder(p, 16)).toBe(ME);
    expect(load<u64>(p, 8)).toBe(5000);
    expect(leaseHolder(p, 15)).toBe(0, "a value of another size is not a lease");
  });

  it("claims an absent lease, renews its own when two thirds are gone, leaves a valid one alone", () => {
    const ttl: u64 = 3000;
    expect(leaseStep(false, 0, 0, ME, 100, ttl)).toBe(LeaseStep.Claim);
    expect(leaseStep(true, lease(ME, 3100), 16, ME, 100, ttl)).toBe(LeaseStep.Hold);
    expect(leaseStep(true, lease(ME, 3100), 16, ME, 1101, ttl)).toBe(LeaseStep.Renew);
    expect(leaseStep(true, lease(ME, 3100), 16, ME, 5000, ttl)).toBe(LeaseStep.Renew, "expired but still ours");
    expect(leaseStep(true, lease(OTHER, 3100), 16, ME, 3099, ttl)).toBe(LeaseStep.Other);
  });

  it("takes over an expired lease or a value that is not a lease", () => {
    expect(leaseStep(true, lease(OTHER, 3100), 16, ME, 3100, 3000)).toBe(LeaseStep.TakeOver);
    expect(leaseStep(true, lease(OTHER, 3100), 7, ME, 0, 3000)).toBe(LeaseStep.TakeOver);
  });
});

describe("fetch: backoff", () => {
  it("is the period after a success", () => {
    expect(nextDelayMs(0, 5000, 12345)).toBe(5000);
  });

  it("doubles per failure up to 8 periods, jittered down by at most a quarter", () => {
    expect(nextDelayMs(1, 1000, 0)).toBe(2000);
    expect(nextDelayMs(2, 1000, 0)).toBe(4000);
    expect(nextDelayMs(3, 1000, 0)).toBe(8000);
    expect(nextDelayMs(9, 1000, 0)).toBe(8000, "capped");
    expect(nextDelayMs(1, 1000, 500)).toBe(1500);
    expect(nextDelayMs(1, 1000, 501)).toBe(2000, "the jitter wraps within a quarter");
    for (let r: u32 = 0; r < 2000; r += 97) {
      const d = nextDelayMs(2, 1000, r * 7919);
      expect(d >= 3000 && d <= 4000).toBe(true);
    }
  });

  it("caps at 5 minutes, and never below one period", () => {
    expect(backoffCapMs(60000)).toBe(300000);
    expect(nextDelayMs(20, 60000, 0)).toBe(300000);
    expect(backoffCapMs(600000)).toBe(600000);
    expect(nextDelayMs(3, 600000, 0)).toBe(600000);
  });
});

describe("fetch: what is published", () => {
  it("round-trips version, etag and the document in one value", () => {
    const doc = String.UTF8.encode('{"version":"v1","routes":[]}');
    const size = publishedSize(2, 4, doc.byteLength);
    const buf = new ArrayBuffer(size);
    encodePublished(changetype<usize>(buf), "v1", '"e1"', changetype<usize>(doc), doc.byteLength);
    const p = decodePublished(changetype<usize>(buf), <usize>size);
    expect(p.ok).toBe(true);
    expect(p.version).toBe("v1");
    expect(p.etag).toBe('"e1"');
    expect(String.UTF8.decodeUnsafe(p.docPtr, <usize>p.docLen)).toBe('{"version":"v1","routes":[]}');
  });

  it("refuses bytes that are not a doc value, never reading past them", () => {
    const buf = new ArrayBuffer(12);
    store<u32>(changetype<usize>(buf), 100); // a version longer than the value
    expect(decodePublished(changetype<usize>(buf), 12).ok).toBe(false);
    expect(decodePublished(changetype<usize>(buf), 3).ok).toBe(false);
    store<u32>(changetype<usize>(buf), 0);
    store<u32>(changetype<usize>(buf), 9, 4); // an etag longer than the rest
    expect(decodePublished(changetype<usize>(buf), 12).ok).toBe(false);
    expect(decodeGeneration(changetype<usize>(buf), 12)).toBe(0);
  });
});

describe("fetch: the callout request", () => {
  it("has the pseudo-headers first, then If-None-Match, Prefer and the extra headers", () => {
    const s = new RulesService();
    s.path = "/r";
    s.authority = "rules:8080";
    s.headers = ["authorization", "Bearer x"];
    s.longPollSeconds = 20;
    s.timeoutMs = 700;
    const h = requestHeaders(s, '"e"');
    expect(h.join("|")).toBe(':method|GET|:path|/r|:authority|rules:8080|if-none-match|"e"|prefer|wait=20|authorization|Bearer x');
    expect(calloutTimeoutMs(s)).toBe(20700);
    expect(requestHeaders(s, null).indexOf("if-none-match")).toBe(-1);
  });

  it("serializes pairs as proxy_http_call takes them", () => {
    const buf = serializePairs(["a", "bc", "d", ""]);
    const p = changetype<usize>(buf);
    expect(buf.byteLength).toBe(4 + 16 + 2 + 3 + 2 + 1);
    expect(load<u32>(p)).toBe(2);
    expect(load<u32>(p, 4)).toBe(1);
    expect(load<u32>(p, 8)).toBe(2);
    expect(load<u32>(p, 12)).toBe(1);
    expect(load<u32>(p, 16)).toBe(0);
    expect(String.UTF8.decodeUnsafe(p + 20, 8)).toBe("a\0bc\0d\0\0");
  });
});

function docError(text: string): string {
  const bytes = String.UTF8.encode(text);
  const sources: KeySource[] = [new KeySource(KeySourceKind.Header, "x-env")];
  const r = parseRulesDocumentBytes(changetype<usize>(bytes), bytes.byteLength, sources, null, new ConfigCollector());
  const e = r.error;
  return e === null ? "ok " + r.version! : e;
}

describe("fetch: rules documents", () => {
  it("accepts version, routes and default", () => {
    expect(docError('{"version":"v1","routes":[{"name":"a","keys":["a"],"destination":"a.svc"}],"default":{"destination":"b"}}')).toBe("ok v1");
    expect(docError('{"routes":[],"version":"2026-12-01T10:00:00Z #3"}')).toBe("ok 2026-12-01T10:00:00Z #3");
  });

  it("names the field and what was expected, from the root `document`", () => {
    expect(docError("")).toBe("document: invalid JSON at line 1, column 1: expected a value");
    expect(docError("[1]")).toBe('document: expected a JSON object with "version" and "routes", got array');
    expect(docError('{"routes":[]}')).toBe('document: missing required field "version"');
    expect(docError('{"version":"v1"}')).toBe('document: missing required field "routes"');
    expect(docError('{"version":"","routes":[]}')).toBe('version: expected a version of 1 to 128 printable ASCII characters, got ""');
    expect(docError('{"version":"v\\n1","routes":[]}')).toBe('version: expected a version of 1 to 128 printable ASCII characters, got "v\\n1"');
    expect(docError('{"version":"v1","routes":[],"key":"x"}')).toBe("key: unknown field (expected one of version, routes, default, unknownKey)");
    expect(docError('{"version":"v1","routes":[{"name":"a","keys":["a"],"destination":"a"},{"name":"b","keys":["a"],"destination":"b"}]}'))
      .toBe('routes[1].keys[0]: key "a" is already used by route "a"');
    expect(docError('{"version":"v1","routes":[{"name":"a","keys":["a"],"destination":"x:0"}]}'))
      .toBe('routes[0].destination: expected a port from 1 to 65535, got "x:0"');
    expect(docError('{"version":"v1","routes":[],"default":{}}')).toBe('default: expected "destination" or "requestHeaders"');
    expect(docError('{"version":"v1","version":"v2","routes":[]}')).toBe('document: duplicate field "version"');
  });
});
