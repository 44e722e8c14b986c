// The compiled rule table: lookups by raw bytes, action layout, default, lifetime.
import { Action, Config, HeaderOp, HeaderOpKind, KeySource, KeySourceKind, Route } from "../../../assembly/config/model";
import { RuleTable } from "../../../assembly/rules/table";
import { matchKey } from "../../../assembly/rules/match";
import { compileConfig } from "../../../assembly/rules/compile";
import { ROUTED_METRIC_PREFIX } from "../../../assembly/rules/metric";
import { HEADER_SIZE, SLOT_SIZE, ACTION_SIZE, OP_SIZE, SOURCE_SIZE } from "../../../assembly/rules/layout";

function bytesOf(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

/** Request op `o` of action `a`: its name and value. */
function opName(t: RuleTable, a: i32, o: i32): string {
  const r = t.requestOpAt(a, o);
  return str(t.recNamePtr(r), t.recNameLen(r));
}
function opValue(t: RuleTable, a: i32, o: i32): string {
  const r = t.requestOpAt(a, o);
  return str(t.recValuePtr(r), t.recValueLen(r));
}

function lookup(t: RuleTable, key: string): i32 {
  let b = bytesOf(key);
  return matchKey(t, changetype<usize>(b), <usize>b.byteLength, 0, 0);
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
    let t = compileConfig(makeConfig(1000, true));
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
    let t = compileConfig(makeConfig(3, false));
    let a = lookup(t, "k2");
    expect(t.opCount(a)).toBe(3);
    expect(opName(t, a, 0)).toBe(":authority");
    expect(opValue(t, a, 0)).toBe("r2.svc:8080");
    expect(t.recKind(t.requestOpAt(a, 1))).toBe(HeaderOpKind.Set);
    expect(opName(t, a, 1)).toBe("x-route");
    expect(opValue(t, a, 1)).toBe("r2");
    expect(t.recKind(t.requestOpAt(a, 2))).toBe(HeaderOpKind.Remove);
    expect(t.prefixLen(a)).toBe(0);
    expect(str(t.namePtr(a), t.nameLen(a))).toBe("r2");
    expect(str(t.metricNamePtr(a), t.metricNameLen(a))).toBe("routekey.routed.route.r2");
  });

  it("has a default action after the routes, or none", () => {
    let t = compileConfig(makeConfig(2, true));
    expect(t.defaultAction).toBe(2);
    expect(str(t.namePtr(2), t.nameLen(2))).toBe("default");
    expect(str(t.prefixPtr(2), t.prefixLen(2))).toBe("/v1");
    expect(str(t.metricNamePtr(2), t.metricNameLen(2))).toBe("routekey.default");
    expect(compileConfig(makeConfig(2, false)).defaultAction).toBe(-1);
  });

  it("keeps key sources and the decision header as bytes", () => {
    let t = compileConfig(makeConfig(1, false));
    expect(t.sourceCount).toBe(1);
    expect(t.sourceKind(0)).toBe(<u32>KeySourceKind.Header);
    expect(str(t.sourceNamePtr(0), t.sourceNameLen(0))).toBe("x-env");
    expect(t.hasDecisionHeader()).toBe(true);
    expect(str(t.decisionNamePtr(), t.decisionNameLen())).toBe("x-routekey-route");
    expect(str(t.noneDecisionPtr(), t.noneDecisionLen())).toBe("none");
  });

  it("handles keys with multi-byte UTF-8 and equal hashes of different lengths", () => {
    let routes = [new Route("u", ["grüße", "日本"], new Action("u", "u.svc", null, []))];
    let t = compileConfig(new Config([new KeySource(KeySourceKind.Header, "k")], routes, null, null));
    expect(lookup(t, "grüße")).toBe(0);
    expect(lookup(t, "日本")).toBe(0);
    expect(lookup(t, "gruße")).toBe(-1);
    expect(t.hasDecisionHeader()).toBe(false);
  });

  it("keeps a name outside [A-Za-z0-9_-] as it is, and only its metric name safe", () => {
    let routes = [
      new Route("feature/a.b", ["x"], new Action("feature/a.b", "x.svc", null, [])),
      new Route("ok-name_1", ["y"], new Action("ok-name_1", "y.svc", null, [])),
    ];
    let t = compileConfig(new Config([new KeySource(KeySourceKind.Header, "k")], routes, null, null));
    expect(str(t.namePtr(0), t.nameLen(0))).toBe("feature/a.b");
    // (the hash suffix is FNV-1a of "feature/a.b", computed independently in JS)
    expect(str(t.metricNamePtr(0), t.metricNameLen(0))).toBe("routekey.routed.route.feature_a_b_2238f3b9");
    expect(str(t.namePtr(1), t.nameLen(1))).toBe("ok-name_1");
    expect(str(t.metricNamePtr(1), t.metricNameLen(1))).toBe("routekey.routed.route.ok-name_1");
  });

  it("shares repeated header names and still writes each operation right", () => {
    let routes = new Array<Route>();
    for (let i = 0; i < 300; i++) {
      let name = "r" + i.toString();
      // 300 distinct names: more than are shared, so some are written per operation.
      let ops = [new HeaderOp(HeaderOpKind.Set, "x-same", name), new HeaderOp(HeaderOpKind.Add, "x-" + name, "v")];
      routes.push(new Route(name, [name], new Action(name, null, null, ops)));
    }
    let t = compileConfig(new Config([new KeySource(KeySourceKind.Header, "k")], routes, null, null));
    for (let i = 0; i < 300; i++) {
      expect(opName(t, i, 0)).toBe("x-same");
      expect(opValue(t, i, 0)).toBe("r" + i.toString());
      expect(opName(t, i, 1)).toBe("x-r" + i.toString());
    }
    expect(t.recNamePtr(t.requestOpAt(0, 0))).toBe(t.recNamePtr(t.requestOpAt(299, 0)), "one copy of a repeated name");
  });

  it("stores a 100k-key table in one block of the size its layout says", () => {
    let routes = 50000;
    let t = compileConfig(makeConfig(routes, true));
    expect(lookup(t, "alias-49999")).toBe(49999);
    // The records: 100k keys in 2^18 slots (at most half full), the routes' actions, the default
    // and room for an unknown-key action.
    let records = HEADER_SIZE + (1 << 18) * SLOT_SIZE + <u32>(routes + 2) * ACTION_SIZE;
    // The text and op records, route by route (makeConfig): its metric name (which ends with its
    // name), three ops (":authority", x-route, x-debug), the authority value, the x-route value
    // and the two keys. Shared names are written once.
    let text: u32 = 0;
    for (let i = 0; i < routes; i++) {
      let n = <u32>("r" + i.toString()).length;
      text += <u32>ROUTED_METRIC_PREFIX.length + n + 3 * OP_SIZE + (n + 9) + n + n + (n + 5);
    }
    text += 10 + 7 + 7; // :authority, x-route, x-debug
    // The default ("default", its metric, one op, "baseline.svc", "/v1"), the source and the decision header.
    text += 7 + 16 + OP_SIZE + 12 + 3 + SOURCE_SIZE + 5 + 16 + 4;
    // Each action's ops, its response ops and the sources are aligned to 4: up to 3 bytes each.
    let alignment = <u32>(routes + 1) * 6 + 3;
    expect(t.byteSize()).toBeGreaterThanOrEqual(records + text);
    expect(t.byteSize()).toBeLessThanOrEqual(records + text + alignment);
  });

  it("carries a version header only once given one, its name and version as bytes apart from the block", () => {
    let t = compileConfig(makeConfig(3, false));
    let size = t.byteSize();
    t.setVersion(null, "inline");
    expect(t.hasVersionHeader()).toBe(false);
    t.setVersion("x-routekey-rules-version", "2026-12-01.7");
    expect(t.hasVersionHeader()).toBe(true);
    expect(str(t.versionNamePtr(), t.versionNameLength())).toBe("x-routekey-rules-version");
    expect(str(t.versionPtr(), t.versionLength())).toBe("2026-12-01.7");
    expect(t.byteSize()).toBe(size, "layout.ts's block is unchanged");
    expect(str(t.decisionNamePtr(), t.decisionNameLen())).toBe("x-routekey-route");
  });
});
