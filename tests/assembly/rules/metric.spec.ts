// Metric names: route names as they may stand in a stat name.
import { metricSafe, METRIC_HASH_LENGTH } from "../../../assembly/rules/metric";

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
