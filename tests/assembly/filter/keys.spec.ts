// findKey (assembly/filter/keys/) reading key sources from the host's request header map, then
// the key looked up in the table as the stream does (filter/stream.ts).
import { findKey, KeyBytes } from "../../../assembly/filter/keys";
import { NO_ACTION, RuleTable } from "../../../assembly/rules/table";
import { matchKey } from "../../../assembly/rules/match";
import { addRequest, clearRequest, tableFor } from "../host";

export { malloc } from "../host";

const ONE_SOURCE = '{"key":"x-env","routes":[' +
  '{"name":"dev","keys":["dev","development"],"destination":"dev.svc"},' +
  '{"name":"qa","keys":["qa"],"destination":"qa.svc"}],' +
  '"default":{"destination":"baseline.svc"}}';

// Tried in order: x-tenant, then x-env; written in mixed case in the configuration.
const TWO_SOURCES = '{"key":[{"header":"X-Tenant"},{"header":"x-env"}],"routes":[' +
  '{"name":"a","keys":["a"],"destination":"a.svc"},' +
  '{"name":"b","keys":["b"],"destination":"b.svc"}]}';

const key = new KeyBytes();

/** The action the request's key selects, NO_ACTION (-1) when there is no key or no match. */
function findAction(t: RuleTable): i32 {
  if (findKey(t, key) < 0) return NO_ACTION;
  let action = matchKey(t, key.ptr, key.len, 0, 0);
  key.release();
  return action;
}

describe("findKey, then lookup", () => {
  beforeEach(() => {
    clearRequest();
  });

  it("selects the route of a present key, by any of its keys", () => {
    let t = tableFor(ONE_SOURCE);
    addRequest("x-env", "qa");
    expect(findAction(t)).toBe(1);
    clearRequest();
    addRequest("x-env", "development");
    expect(findAction(t)).toBe(0);
  });

  it("finds the key whatever case the request's header name had", () => {
    addRequest("X-ENV", "dev");
    expect(findAction(tableFor(ONE_SOURCE))).toBe(0);
  });

  it("selects nothing when the key is absent, empty or matches no route", () => {
    let t = tableFor(ONE_SOURCE);
    expect(findAction(t)).toBe(-1, "absent");
    addRequest("x-env", "");
    expect(findAction(t)).toBe(-1, "empty");
    clearRequest();
    addRequest("x-env", "Dev");
    expect(findAction(t)).toBe(-1, "keys are case-sensitive");
    clearRequest();
    addRequest("x-other", "dev");
    expect(findAction(t)).toBe(-1, "another header");
  });

  it("uses the first source present: an absent or empty one is skipped", () => {
    let t = tableFor(TWO_SOURCES);
    addRequest("x-env", "b");
    addRequest("x-tenant", "a");
    expect(findAction(t)).toBe(0, "both present: the first source");
    clearRequest();
    addRequest("x-env", "b");
    expect(findAction(t)).toBe(1, "first absent");
    addRequest("x-tenant", "");
    expect(findAction(t)).toBe(1, "first empty");
  });

  it("does not fall through to a later source when the first key matches no route", () => {
    let t = tableFor(TWO_SOURCES);
    addRequest("x-tenant", "nobody");
    addRequest("x-env", "b");
    expect(findAction(t)).toBe(-1);
  });
});

// Every kind, in order, with the options: baggage lower-cased and trimmed, at most 4 bytes.
const KINDS = '{"key":[{"baggage":"routing-key","lowercase":true,"trim":true,"maxBytes":4},' +
  '{"tracestate":"acme@sys"},{"cookie":"sandbox"},{"query":"sandbox"},{"header":"x-env"}],"routes":[' +
  '{"name":"a","keys":["a"],"destination":"a.svc"},' +
  '{"name":"b","keys":["b b"],"destination":"b.svc"}]}';

/** The index of the source that gave a key and the key, "-1" when none did. */
function found(t: RuleTable): string {
  let s = findKey(t, key);
  if (s < 0) return "-1";
  let k = String.UTF8.decodeUnsafe(key.ptr, key.len);
  key.release();
  return s.toString() + " " + k;
}

describe("findKey over every kind of source", () => {
  beforeEach(() => {
    clearRequest();
  });

  it("returns the index of the first source that yields a key, and the key", () => {
    let t = tableFor(KINDS);
    addRequest(":path", "/p?x=1&sandbox=b%20b");
    expect(found(t)).toBe("3 b b");
    addRequest("cookie", "x=1; sandbox=\"c\"");
    expect(found(t)).toBe("2 c");
    addRequest("tracestate", "rojo=1,acme@sys=t");
    expect(found(t)).toBe("1 t");
    addRequest("baggage", "other=1, routing-key = %20AbC%09 ;p");
    expect(found(t)).toBe("0 abc", "decoded, trimmed, lower-cased");
  });

  it("skips a source whose key is empty or longer than its maxBytes", () => {
    let t = tableFor(KINDS);
    addRequest("x-env", "a");
    addRequest("baggage", "routing-key=abcde");
    expect(found(t)).toBe("4 a", "5 bytes > maxBytes 4");
    clearRequest();
    addRequest("x-env", "a");
    addRequest("baggage", "routing-key=%20%20");
    expect(found(t)).toBe("4 a", "empty once trimmed");
    clearRequest();
    addRequest("x-env", "a");
    addRequest("baggage", "xrouting-key=b");
    addRequest("cookie", "sandboxx=b");
    addRequest(":path", "/?sandbox=");
    expect(found(t)).toBe("4 a", "no member of that name");
    clearRequest();
    expect(found(t)).toBe("-1");
  });

  it("reads only the first of several baggage headers, as Envoy answers", () => {
    let t = tableFor('{"key":[{"baggage":"k"}],"routes":[{"name":"a","keys":["a"],"destination":"a.svc"}]}');
    addRequest("baggage", "other=1");
    addRequest("baggage", "k=a");
    expect(found(t)).toBe("-1");
  });
});
