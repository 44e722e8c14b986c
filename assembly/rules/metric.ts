// Metric (stat) names of the decisions. Route counters are named ROUTED_METRIC_PREFIX + the route's
// metricSafe() name; the builder writes that into the table, the filter defines it when its first count is flushed.
import { FNV_OFFSET, fnvStep, isWord, isWordChar } from "../bytes";
import { KeySourceKind } from "../config/model";

/** Metric name of a route action: Envoy stats_tags turn the last part into a `route` label. */
export const ROUTED_METRIC_PREFIX = "routekey.routed.route.";
export const DEFAULT_METRIC = "routekey.default";
export const PASSTHROUGH_METRIC = "routekey.passthrough";
/** A key was present and matched no route. */
export const UNKNOWN_KEY_METRIC = "routekey.unknown_key";
/** The filter answered the request itself. */
export const LOCAL_REPLY_METRIC = "routekey.local_reply";
/** A route's path prefix was not applied: the client's path is over MAX_PATH_BYTES (filter/apply.ts). */
export const PATH_TOO_LONG_METRIC = "routekey.path_too_long";

/**
 * A key source yielded the request's key: KEY_SOURCE_METRIC_PREFIX + `<kind>.<name>`
 * (keySourceMetric), which Envoy stats_tags turn into a `key_source` label.
 */
export const KEY_SOURCE_METRIC_PREFIX = "routekey.keyed.key_source.";

/**
 * The counter of a key source of `kind` reading `name` (the header name of a header source, else
 * the member, cookie or parameter name), e.g. "routekey.keyed.key_source.baggage.routing-key".
 */
export function keySourceMetric(kind: u32, name: string): string {
  let k = kind == KeySourceKind.Header ? "header" : kind == KeySourceKind.Baggage ? "baggage"
    : kind == KeySourceKind.Tracestate ? "tracestate" : kind == KeySourceKind.Cookie ? "cookie" : "query";
  return KEY_SOURCE_METRIC_PREFIX + k + "." + metricSafe(name);
}

/** What metricSafe() may add to a name: "_" and 8 hex digits. */
export const METRIC_HASH_LENGTH: u32 = 9;

/**
 * `name` as it may stand in a stat name: unchanged when it is all [A-Za-z0-9_-] (every native
 * route name); otherwise every other character becomes `_` and a hash of the original is added,
 * so that original-form values such as "a.b" and "a/b" keep separate counters.
 */
export function metricSafe(name: string): string {
  if (isWord(name)) return name;
  // Rare (only original-form values need it): rebuild once, character by character.
  let s = "";
  let h = FNV_OFFSET; // FNV-1a over the UTF-16 code units
  for (let j = 0; j < name.length; j++) {
    let d = name.charCodeAt(j);
    s += isWordChar(d) ? String.fromCharCode(d) : "_";
    h = fnvStep(h, <u32>d);
  }
  return s + "_" + h.toString(16).padStart(8, "0");
}
