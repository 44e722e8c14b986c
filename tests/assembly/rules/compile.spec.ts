// Configuration bytes → rule table the way the filter does it (rules/compile.ts): straight from
// the JSON document into the table. It must agree with the model (parseConfig, then
// compileConfig) on every case, size its block right the first time, and never abort.
import { parseConfig, parseConfigBytes } from "../../../assembly/config/parse";
import { compileConfiguration, compileConfig } from "../../../assembly/rules/compile";
import { TableBuilder } from "../../../assembly/rules/builder";
import { RuleTable } from "../../../assembly/rules/table";
import { matchKey } from "../../../assembly/rules/match";
import { CONFIG_CASES } from "../config-cases";
import { Mutator } from "../mutate";

function bytesOf(s: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(s));
}

function str(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

/** Everything the request path can read from a table, as text. */
function tableText(t: RuleTable): string {
  const parts = new Array<string>();
  parts.push("actions " + t.actionCount.toString() + " default " + t.defaultAction.toString());
  for (let a = 0; a < t.actionCount; a++) {
    parts.push(str(t.namePtr(a), t.nameLen(a)) + " metric " + str(t.metricNamePtr(a), t.metricNameLen(a)) +
      " prefix " + str(t.prefixPtr(a), t.prefixLen(a)));
    for (let o = 0; o < t.opCount(a); o++) {
      const r = t.requestOpAt(a, o);
      parts.push("  " + (<i32>t.recKind(r)).toString() + " " + str(t.recNamePtr(r), t.recNameLen(r)) +
        "=" + str(t.recValuePtr(r), t.recValueLen(r)));
    }
  }
  for (let s = 0; s < t.sourceCount; s++) {
    parts.push("source " + t.sourceKind(s).toString() + " " + str(t.sourceNamePtr(s), t.sourceNameLen(s)));
  }
  parts.push("scoped " + t.scoped.toString() + " prefix lengths " + t.prefixCount.toString());
  if (t.hasDecisionHeader()) {
    parts.push("decision " + str(t.decisionNamePtr(), t.decisionNameLen()) + " " + str(t.noneDecisionPtr(), t.noneDecisionLen()));
  }
  return parts.join("\n");
}

/** The action for `key` sent to `host` ("": a host no route lists). */
function lookup(t: RuleTable, key: string, host: string = ""): i32 {
  const b = String.UTF8.encode(key);
  const h = String.UTF8.encode(host);
  const id = t.hostId(changetype<usize>(h), <usize>h.byteLength);
  return matchKey(t, changetype<usize>(b), <usize>b.byteLength, id, id);
}

/** Compiles `src` both ways; fails the test where they differ. */
function agree(name: string, src: string): void {
  const b = bytesOf(src);
  const direct = compileConfiguration(b.dataStart, b.length);
  const model = parseConfig(b);
  expect(direct.error).toBe(model.error, name);
  const config = model.config;
  const table = direct.table;
  expect(table === null).toBe(config === null, name);
  if (config === null || table === null) return;
  expect(tableText(table)).toBe(tableText(compileConfig(config)), name);
  for (let r = 0; r < config.routes.length; r++) {
    const route = config.routes[r];
    const hosts = route.hosts.length > 0 ? route.hosts : [""];
    for (let h = 0; h < hosts.length; h++) {
      for (let k = 0; k < route.keys.length; k++) expect(lookup(table, route.keys[k], hosts[h])).toBe(r, name);
      // A key made of the prefix and more: no other route of these cases has it.
      for (let k = 0; k < route.prefixes.length; k++) expect(lookup(table, route.prefixes[k] + "~", hosts[h])).toBe(r, name);
    }
  }
}

/** Whether compiling `src` fit in the block as `begin` sized it. */
function fitsAsPlanned(src: string): bool {
  const b = bytesOf(src);
  const builder = new TableBuilder();
  const error = parseConfigBytes(b.dataStart, b.length, builder);
  expect(error).toBeNull(src.substring(0, 200));
  const table = builder.table;
  return table !== null && table.byteSize() <= builder.planned;
}

function routes(n: i32, route: (i: i32) => string): string {
  const parts = new Array<string>();
  for (let i = 0; i < n; i++) parts.push(route(i));
  return parts.join(",");
}

describe("compileConfiguration", () => {
  it("refuses and accepts every case exactly like parseConfig, and builds the same table", () => {
    for (let i = 0; i < CONFIG_CASES.length; i++) agree(CONFIG_CASES[i][0], CONFIG_CASES[i][1]);
  });

  it("builds the same table for escaped text, several keys, every operation and non-ASCII", () => {
    agree("escapes", '{"key":"X-\\u0045nv","routes":[{"name":"a\\u002db","keys":["\\u00e9t\\u00e9","\\ud83d\\ude00","k\\"q"],' +
      '"destination":"http:\\/\\/a.svc:80\\/p\\/","requestHeaders":{"remove":["X-A"],"add":{"x-b":"\\u00e9"},"set":{"HOST":"h","x-c":""}}},' +
      '{"name":"b","keys":["b"],"requestHeaders":{"set":{"x-c":"2"}}}],"default":{"requestHeaders":{"add":{"x-d":"1"}}},' +
      '"decisionHeader":"X-Route"}');
    agree("original form", '{"key":"e","destination":"http://d.svc/x","rewrites":{"dev":{"patch":[{"key":"Host","val":"h"},' +
      '{"key":"n","val":1.50},{"key":"b","val":false},{"key":"z","val":null}],"destination":"dev.svc"},"f\\/é x":{},"":{}}}');
    agree("original form, weird value", '{"key":"e","rewrites":{"f\\/é x":{"patch":[{"key":"a","val":"\\u0000"}]}}}');
    agree("duplicate key in one route", '{"key":"k","routes":[{"name":"a","keys":["x","y","x"],"destination":"d"}]}');
    agree("duplicate key, escaped", '{"key":"k","routes":[{"name":"a","keys":["x"],"destination":"d"},{"name":"b","keys":["\\u0078"],"destination":"d"}]}');
    agree("duplicate name far apart", '{"key":"k","routes":[' + routes(50, (i: i32): string =>
      '{"name":"r' + (i == 49 ? "7" : i.toString()) + '","keys":["k' + i.toString() + '"],"destination":"d"}') + "]}");
  });

  it("sizes the table's block once, whatever the routes hold", () => {
    for (let i = 0; i < CONFIG_CASES.length; i++) {
      if (CONFIG_CASES[i][2].length == 0) expect(fitsAsPlanned(CONFIG_CASES[i][1])).toBe(true, CONFIG_CASES[i][0]);
    }
    // Many operations with one-letter names and empty values: 20-byte records for 4 bytes of text.
    expect(fitsAsPlanned('{"key":"k","routes":[' + routes(300, (i: i32): string =>
      '{"name":"r' + i.toString() + '","keys":["' + i.toString() + '"],"requestHeaders":{"remove":["a","b","c","d"],' +
      '"set":{"e":"","Host":"h"},"add":{"f":""}}}') + '],"default":{"destination":"http://x/y",' +
      '"requestHeaders":{"remove":["a","b","c","d","e","f","g","h"]}},"decisionHeader":"d"}')).toBe(true);
    // Key sources named Host become ":authority", longer than their text.
    expect(fitsAsPlanned('{"key":[{"header":"Host"},{"header":"host"},{"header":"HOST"},{"header":"hOst"},' +
      '{"header":"Host"},{"header":"host"},{"header":"HoSt"},{"header":"hosT"}],"default":{"destination":"d"}}')).toBe(true);
    // The original form: each value is a key, a name and a metric; numbers and literals as values.
    expect(fitsAsPlanned('{"key":"k","destination":"d","rewrites":{' + routes(300, (i: i32): string =>
      '"v/' + i.toString() + '":{"patch":[{"key":"a","val":1},{"key":"b","val":true},{"key":"c","val":null},' +
      '{"key":"d","val":false},{"key":"Host","val":"h"}]}') + "}}")).toBe(true);
    expect(fitsAsPlanned('{"key":"k","rewrites":{"é😀":{}}}')).toBe(true);
    // Routes per service: each key once, a slot per host, each host once however many list it.
    expect(fitsAsPlanned('{"key":"k","routes":[' + routes(3000, (i: i32): string =>
      '{"name":"r' + i.toString() + '","keys":["' + i.toString() + '"],"prefixes":["p' + i.toString() + '"],' +
      '"hosts":["svc-' + (i % 5).toString() + '","svc-' + (i % 5).toString() + '.ns.svc.cluster.local:8080"],"destination":"d"}') + ']}')).toBe(true);
    expect(fitsAsPlanned('{"key":"k","routes":[' + routes(3000, (i: i32): string =>
      '{"keys":["k' + i.toString() + '"],"hosts":["svc-' + i.toString() + '"],"destination":"d"}') + ']}')).toBe(true);
    // Values that are not metric-safe: key, name and metric each take the value's length.
    expect(fitsAsPlanned('{"key":"k","rewrites":{' + routes(300, (i: i32): string =>
      '"' + "v/".repeat(30) + i.toString() + '":{}') + "}}")).toBe(true);
  });

  it("never aborts on random byte mutations of a valid config", () => {
    const mutator = new Mutator(0x51ED270B);
    const base = bytesOf('{"key":[{"header":"x"}],"routes":[{"name":"a","keys":["a","b"],"destination":"http://[::1]:80/p",' +
      '"requestHeaders":{"set":{"h":"v"},"add":{"a":"1"},"remove":["r"]}},{"name":"b","keys":["c"],"destination":"d"}],' +
      '"default":{"destination":"d:1"},"decisionHeader":"x-d"}');
    const orig = bytesOf('{"key":"e","destination":"d","rewrites":{"a":{"patch":[{"key":"k","val":1}],"destination":"x"},"b":{}}}');
    for (let round = 0; round < 3000; round++) {
      const b = ((round & 1) == 0 ? base : orig).slice(0);
      mutator.mutate(b, 3);
      const r = compileConfiguration(b.dataStart, b.length);
      expect((r.table === null) != (r.error === null)).toBe(true);
    }
  });
});
