// The compiled rule table: lookups by raw bytes, action layout, default, lifetime.
import { Action, Config, HeaderOp, HeaderOpKind, KeySource, KeySourceKind, Route } from "../../assembly/config/model";
import { RuleTable, metricSafe } from "../../assembly/rules/table";

function bytesOf(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

function lookup(t: RuleTable, key: string): i32 {
  let b = bytesOf(key);
  return t.lookup(changetype<usize>(b), <usize>b.byteLength);
}

function str(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

function makeConfig(routeCount: i32, withDefault: bool): Config {
  let routes = new Array<Route>();
  for (let i = 0; i < routeCount; i++) {
    let name = "r" + i.toString();
    let ops = [new HeaderOp(HeaderOpKind.Set, "x-route", name), new HeaderOp(HeaderOpKind.Remove, "x-debug", "")];
    routes.push(new Route(name, ["k" + i.toString(), "alias-" + i.toString()], new Action(name, name + ".svc:8080", null, ops)));
  }
  let def: Action | null = withDefault ? new Action("default", "baseline.svc", "/v1", []) : null;
  return new Config([new KeySource(KeySourceKind.Header, "x-env")], routes, def, "x-routekey-route");
}

describe("RuleTable", () => {
  it("finds every key of every route and nothing else", () => {
    let t = RuleTable.compile(makeConfig(1000, true));
    expect(t.actionCount).toBe(1001);
    for (let i = 0; i < 1000; i++) {
      expect(lookup(t, "k" + i.toString())).toBe(i);
      expect(lookup(t, "alias-" + i.toString())).toBe(i);
    }
    expect(lookup(t, "k1000")).toBe(-1);
    expect(lookup(t, "K1")).toBe(-1, "keys are case-sensitive");
    expect(lookup(t, "k1 ")).toBe(-1);
    expect(lookup(t, "")).toBe(-1);
  });

  it("puts the destination's :authority before the explicit header operations", () => {
    let t = RuleTable.compile(makeConfig(3, false));
    let a = lookup(t, "k2");
    expect(t.opCount(a)).toBe(3);
    expect(str(t.opNamePtr(a, 0), t.opNameLen(a, 0))).toBe(":authority");
    expect(str(t.opValuePtr(a, 0), t.opValueLen(a, 0))).toBe("r2.svc:8080");
    expect(t.opKind(a, 1)).toBe(HeaderOpKind.Set);
    expect(str(t.opNamePtr(a, 1), t.opNameLen(a, 1))).toBe("x-route");
    expect(str(t.opValuePtr(a, 1), t.opValueLen(a, 1))).toBe("r2");
    expect(t.opKind(a, 2)).toBe(HeaderOpKind.Remove);
    expect(t.prefixLen(a)).toBe(0);
    expect(str(t.namePtr(a), t.nameLen(a))).toBe("r2");
    expect(str(t.metricNamePtr(a), t.metricNameLen(a))).toBe("routekey.routed.route.r2");
  });

  it("has a default action after the routes, or none", () => {
    let t = RuleTable.compile(makeConfig(2, true));
    expect(t.defaultAction).toBe(2);
    expect(str(t.namePtr(2), t.nameLen(2))).toBe("default");
    expect(str(t.prefixPtr(2), t.prefixLen(2))).toBe("/v1");
    expect(str(t.metricNamePtr(2), t.metricNameLen(2))).toBe("routekey.default");
    expect(RuleTable.compile(makeConfig(2, false)).defaultAction).toBe(-1);
  });

  it("keeps key sources and the decision header as bytes", () => {
    let t = RuleTable.compile(makeConfig(1, false));
    expect(t.sourceCount).toBe(1);
    expect(t.sourceKind(0)).toBe(<u32>KeySourceKind.Header);
    expect(str(t.sourceNamePtr(0), t.sourceNameLen(0))).toBe("x-env");
    expect(t.hasDecisionHeader()).toBe(true);
    expect(str(t.decisionNamePtr(), t.decisionNameLen())).toBe("x-routekey-route");
    expect(str(t.noneDecisionPtr(), t.noneDecisionLen())).toBe("none");
  });

  it("remembers metric ids given by the host", () => {
    let t = RuleTable.compile(makeConfig(2, false));
    expect(t.metricId(1)).toBe(-1);
    t.setMetricId(1, 0);
    expect(t.metricId(1)).toBe(0);
    t.setMetricId(0, 77);
    expect(t.metricId(0)).toBe(77);
  });

  it("handles keys with multi-byte UTF-8 and equal hashes of different lengths", () => {
    let routes = [new Route("u", ["grüße", "日本"], new Action("u", "u.svc", null, []))];
    let t = RuleTable.compile(new Config([new KeySource(KeySourceKind.Header, "k")], routes, null, null));
    expect(lookup(t, "grüße")).toBe(0);
    expect(lookup(t, "日本")).toBe(0);
    expect(lookup(t, "gruße")).toBe(-1);
    expect(t.hasDecisionHeader()).toBe(false);
  });

  it("stores a 100k-key table in one block", () => {
    let t = RuleTable.compile(makeConfig(50000, true));
    expect(lookup(t, "alias-49999")).toBe(49999);
    expect(t.byteSize()).toBeGreaterThan(50000 * 16);
  });
});

describe("metricSafe", () => {
  it("keeps safe names and replaces the rest", () => {
    expect(metricSafe("dev-1_a")).toBe("dev-1_a");
    expect(metricSafe("team.a/b c")).toBe("team_a_b_c");
    expect(metricSafe("")).toBe("");
  });
});
