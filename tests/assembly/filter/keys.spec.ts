// findKey (assembly/filter/keys/) reading key sources from the host's request header map, then
// the key looked up in the table as the stream does (filter/stream.ts).
import { findKey, KeyBytes } from "../../../assembly/filter/keys";
import { NO_ACTION, RuleTable } from "../../../assembly/rules/table";
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
  let action = t.lookup(key.ptr, key.len);
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
