// The plugin configuration's JSON bytes → its pieces, handed to a ConfigSink (config/sink.ts), or
// one error line. Pure; runs once, in onConfigure, where the sink is the rule table builder
// (rules/compile.ts); `parseConfig` collects a Config instead, for tests and tools. Never aborts,
// whatever the bytes (see json/parse.ts).
//
// Two forms, read by one skeleton (form.ts) into the same pieces (README, "Configuration"):
//   native    {"key", "routes"?, "default"?, "decisionHeader"?}   native.ts
//   original  {"key", "destination"?, "rewrites"}                 original.ts, chosen when the
//                                                                 object has "rewrites"
import { JsonValue, parseJsonBytes } from "../json";
import { ConfigResult } from "./model";
import { ROOT, expected } from "./errors";
import { parseForm } from "./form";
import { NATIVE_FORM } from "./native";
import { ORIGINAL_FORM } from "./original";
import { ConfigCollector, ConfigSink } from "./sink";
import { heldMark, hold, letGoTo } from "../gc";

/** Parses the configuration bytes (UTF-8 JSON) into a Config: for tests and tools. */
export function parseConfig(bytes: Uint8Array): ConfigResult {
  const collector = new ConfigCollector();
  const error = parseConfigBytes(bytes.dataStart, bytes.length, collector);
  if (error !== null) return ConfigResult.fail(error);
  return ConfigResult.ok(collector.config!); // no error: the collector saw the whole configuration
}

/** parseConfig for a string (tests, tools). */
export function parseConfigString(s: string): ConfigResult {
  return parseConfig(Uint8Array.wrap(String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE)));
}

/**
 * Parses the configuration bytes (UTF-8 JSON) at ptr..ptr+len into `sink` (the filter's is the
 * rule table builder). Returns the error line, or null when `sink` got the whole configuration.
 */
export function parseConfigBytes(ptr: usize, len: i32, sink: ConfigSink): string | null {
  if (isBlank(ptr, len)) return ROOT + ': empty: expected a JSON object with "key" and "routes"';
  const json = parseJsonBytes(ptr, len);
  if (json.error !== null) return json.message(ROOT);
  const mark = heldMark();
  hold(json); // the parse collects between routes (gc.ts)
  const error = configFromJson(json.value!, sink);
  letGoTo(mark);
  json.release();
  return error;
}

/** Reads the configuration from an already parsed JSON document into `sink`; the error line or null. */
export function configFromJson(root: JsonValue, sink: ConfigSink): string | null {
  const p = root.isObject ? parseForm(root, root.has("rewrites") ? ORIGINAL_FORM : NATIVE_FORM, sink)
                          : expected("a JSON object", root);
  return p !== null ? p.line() : null;
}

/** Whether the bytes at ptr..ptr+len are none or only JSON whitespace. */
function isBlank(ptr: usize, len: i32): bool {
  for (let i = 0; i < len; i++) {
    const c = load<u8>(ptr + <usize>i);
    if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) return false;
  }
  return true;
}
