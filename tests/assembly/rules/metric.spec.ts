// Metric names: route names as they may stand in a stat name; key sources' counter names.
import { metricSafe, METRIC_HASH_LENGTH, keySourceMetric, KEY_SOURCE_METRIC_PREFIX } from "../../../assembly/rules/metric";
import { KeySourceKind } from "../../../assembly/config/model";

describe("metricSafe", () => {
  it("keeps safe names and replaces the rest", () => {
    expect(metricSafe("dev-1_a")).toBe("dev-1_a");
    // FNV-1a of the UTF-16 units of "team.a/b c", computed independently in JS
    expect(metricSafe("team.a/b c")).toBe("team_a_b_c_f3a4f9ed");
    expect(metricSafe("team.a/b.c")).not.toBe(metricSafe("team.a/b c"), "names that differ only in unsafe characters keep apart");
    expect(metricSafe("")).toBe("");
    expect(metricSafe("a.b").length).toBe(3 + <i32>METRIC_HASH_LENGTH, "the suffix is as long as the builder sizes for");
  });
});

describe("keySourceMetric", () => {
  it("names a source by its kind and its metric-safe name", () => {
    const p = KEY_SOURCE_METRIC_PREFIX;
    expect(keySourceMetric(KeySourceKind.Header, "x-env")).toBe(p + "header.x-env");
    expect(keySourceMetric(KeySourceKind.Baggage, "routing-key")).toBe(p + "baggage.routing-key");
    expect(keySourceMetric(KeySourceKind.Tracestate, "acme@sb")).toBe(p + "tracestate." + metricSafe("acme@sb"));
    expect(keySourceMetric(KeySourceKind.Cookie, "sandbox")).toBe(p + "cookie.sandbox");
    expect(keySourceMetric(KeySourceKind.Query, "sb")).toBe(p + "query.sb");
    expect(p).toBe("routekey.keyed.key_source.");
  });
});
