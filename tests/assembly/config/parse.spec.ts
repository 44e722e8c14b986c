// parseConfig: every rule of the configuration (README, "Configuration"). The table (config-cases.ts) is generated from
// tests/config-cases.json (node tests/assembly/gen-config-cases.mjs), which the schema check and
// the .wasm run use too: edit the JSON, then regenerate.
import { parseConfig, parseConfigString } from "../../../assembly/config/parse";
import { Action, Config, HeaderOp, HeaderOpKind, KeySourceKind } from "../../../assembly/config/model";
import { CONFIG_CASES } from "../config-cases";
import { Mutator } from "../mutate";

function opText(op: HeaderOp): string {
  const kind = op.kind == HeaderOpKind.Set ? "set" : op.kind == HeaderOpKind.Add ? "add" : "remove";
  return op.kind == HeaderOpKind.Remove ? kind + " " + op.name : kind + " " + op.name + " " + op.value;
}

function opsText(a: Action): string {
  const parts = new Array<string>();
  for (let i = 0; i < a.headerOps.length; i++) parts.push(opText(a.headerOps[i]));
  return parts.join("; ");
}

function mustParse(src: string): Config {
  const r = parseConfigString(src);
  expect(r.error).toBeNull(src);
  return r.config!;
}

function errorOf(src: string): string {
  const r = parseConfigString(src);
  expect(r.config).toBeNull(src);
  const e = r.error;
  return e === null ? "" : e;
}

describe("config: the case table", () => {
  it("accepts and refuses each case with its exact message", () => {
    expect(CONFIG_CASES.length).toBeGreaterThanOrEqual(40);
    for (let i = 0; i < CONFIG_CASES.length; i++) {
      const c = CONFIG_CASES[i];
      const r = parseConfigString(c[1]);
      const got = r.error === null ? "" : r.error!;
      expect(got).toBe(c[2], c[0]);
      expect(r.config === null).toBe(c[2].length > 0, c[0]);
    }
  });
});

describe("config: the original dispatcher form", () => {
  it("parses the dispatcher's example", () => {
    const c = mustParse('{"key":"environment","destination":"http://example.org","rewrites":{"dev":' +
      '{"patch":[{"key":"Host","val":"example.com"},{"key":"dispatched","val":true}],' +
      '"destination":"http://example.com"}}}');
    expect(c.keySources.length).toBe(1);
    expect(c.keySources[0].kind).toBe(KeySourceKind.Header);
    expect(c.keySources[0].name).toBe("environment");
    expect(c.routes.length).toBe(1);
    const dev = c.routes[0];
    expect(dev.name).toBe("dev");
    expect(dev.keys.join(",")).toBe("dev");
    expect(dev.action.name).toBe("dev");
    expect(dev.action.authority).toBe("example.com");
    expect(dev.action.pathPrefix).toBeNull();
    expect(opsText(dev.action)).toBe("set :authority example.com; set dispatched true");
    const d = c.defaultAction!;
    expect(d.name).toBe("default");
    expect(d.authority).toBe("example.org");
    expect(d.headerOps.length).toBe(0);
    expect(c.decisionHeader).toBeNull();
  });

  it("turns non-string vals into their JSON text as written", () => {
    const c = mustParse('{"key":"E","rewrites":{"a":{"patch":[{"key":"X-A","val":1.50},' +
      '{"key":"b","val":null},{"key":"c","val":false},{"key":"d","val":-0},{"key":"e","val":"s"}]}}}');
    expect(c.keySources[0].name).toBe("e");
    expect(opsText(c.routes[0].action)).toBe("set x-a 1.50; set b null; set c false; set d -0; set e s");
    expect(c.routes[0].action.authority).toBeNull();
    expect(c.defaultAction).toBeNull();
  });

  it("keeps rewrites in document order, one route per value", () => {
    const c = mustParse('{"key":"e","rewrites":{"z":{},"feature/x.y":{"destination":"f.svc"},"a":{}}}');
    expect(c.routes.length).toBe(3);
    expect(c.routes[0].name).toBe("z");
    expect(c.routes[1].name).toBe("feature/x.y");
    expect(c.routes[1].keys[0]).toBe("feature/x.y");
    expect(c.routes[1].action.authority).toBe("f.svc");
    expect(c.routes[2].name).toBe("a");
  });
});

describe("config: the native form", () => {
  it("parses the spec's example", () => {
    const c = mustParse('{"key":"x-env","routes":[' +
      '{"name":"dev","keys":["dev","development"],"destination":"dev.svc:8080",' +
      '"requestHeaders":{"remove":["X-Debug"],"add":{"x-trace":"1"},"set":{"x-sandbox":"dev","Host":"h.example"}}},' +
      '{"name":"pr-42","keys":["pr-42"],"destination":"http://pr-42.svc:8080/api/"}],' +
      '"default":{"destination":"baseline.svc:8080"},"decisionHeader":"X-Routekey-Route"}');
    expect(c.keySources.length).toBe(1);
    expect(c.keySources[0].name).toBe("x-env");
    expect(c.routes.length).toBe(2);
    const dev = c.routes[0];
    expect(dev.name).toBe("dev");
    expect(dev.keys.join(",")).toBe("dev,development");
    expect(dev.action.authority).toBe("dev.svc:8080");
    expect(dev.action.pathPrefix).toBeNull();
    // sets, then adds, then removes, whatever the field order.
    expect(opsText(dev.action)).toBe("set x-sandbox dev; set :authority h.example; add x-trace 1; remove x-debug");
    const pr = c.routes[1];
    expect(pr.action.authority).toBe("pr-42.svc:8080");
    expect(pr.action.pathPrefix).toBe("/api");
    expect(c.defaultAction!.authority).toBe("baseline.svc:8080");
    expect(c.defaultAction!.name).toBe("default");
    expect(c.decisionHeader).toBe("x-routekey-route");
  });

  it("reads versionHeader lower-cased, absent by default", () => {
    const c = mustParse('{"key":"x-env","default":{"destination":"b"},"versionHeader":"X-Rules-Version"}');
    expect(c.versionHeader).toBe("x-rules-version");
    expect(mustParse('{"key":"x-env","default":{"destination":"b"}}').versionHeader).toBeNull();
  });

  it("reads key sources in order, lower-cased, Host as :authority", () => {
    const c = mustParse('{"key":[{"header":"X-Env"},{"header":"Host"},{"header":":path"}],"default":{"destination":"b"}}');
    expect(c.keySources.length).toBe(3);
    expect(c.keySources[0].name).toBe("x-env");
    expect(c.keySources[1].name).toBe(":authority");
    expect(c.keySources[2].name).toBe(":path");
    expect(c.routes.length).toBe(0);
  });

  it("accepts 100000 routes and refuses 100001", () => {
    const parts = new Array<string>();
    for (let i = 0; i < 100000; i++) {
      parts.push('{"name":"r' + i.toString() + '","keys":["k' + i.toString() + '"],"destination":"s' + i.toString() + '.svc"}');
    }
    const c = mustParse('{"key":"x","routes":[' + parts.join(",") + "]}");
    expect(c.routes.length).toBe(100000);
    expect(c.routes[99999].action.authority).toBe("s99999.svc");
    parts.push('{"name":"last","keys":["last"],"destination":"l.svc"}');
    expect(errorOf('{"key":"x","routes":[' + parts.join(",") + "]}"))
      .toBe("routes: expected at most 100000 routes, got 100001");
  });
});

describe("config: bytes", () => {
  it("refuses invalid UTF-8 as invalid JSON", () => {
    const b = Uint8Array.wrap(String.UTF8.encode('{"key":"x","default":{"destination":"a"}}'));
    b[8] = 0xFF;
    const r = parseConfig(b);
    expect(r.error).toBe("configuration: invalid JSON at line 1, column 9: expected valid UTF-8");
  });

  it("never aborts on truncations of a valid config", () => {
    const b = Uint8Array.wrap(String.UTF8.encode('{"key":[{"header":"x"}],"routes":[{"name":"a","keys":["a"],' +
      '"destination":"http://[::1]:80/p","requestHeaders":{"set":{"h":"v"},"remove":["r"]}}],' +
      '"default":{"destination":"d"},"decisionHeader":"x-d"}'));
    for (let n = 0; n <= b.length; n++) {
      const r = parseConfig(b.subarray(0, n));
      expect((r.config === null) != (r.error === null)).toBe(true);
    }
  });
});

// ---- never aborts: any value in any field ----------------------------------------------------

const ODD_VALUES: string[] = [
  "null", "true", "0", "-1e999", "1.5", '""', '"x"', '"\\u0000"', '"Host"', '":path"', '"default"',
  '"http://[::1]:1/p"', "[]", "[1]", '["a"]', "[{}]", '[{"header":"x"}]', "{}", '{"a":1}',
  '{"set":{"a":"b"}}', '{"destination":"d"}', '[{"key":"k","val":[]}]',
];

// Templates with one "@" where each odd value goes in turn.
const TEMPLATES: string[] = [
  '{"key":@,"routes":[{"name":"a","keys":["a"],"destination":"d"}]}',
  '{"key":"k","routes":@}',
  '{"key":"k","routes":[@]}',
  '{"key":"k","routes":[{"name":@,"keys":["a"],"destination":"d"}]}',
  '{"key":"k","routes":[{"name":"a","keys":@,"destination":"d"}]}',
  '{"key":"k","routes":[{"name":"a","keys":[@],"destination":"d"}]}',
  '{"key":"k","routes":[{"name":"a","keys":["a"],"destination":@}]}',
  '{"key":"k","routes":[{"name":"a","keys":["a"],"requestHeaders":@}]}',
  '{"key":"k","routes":[{"name":"a","keys":["a"],"requestHeaders":{"set":@,"add":@,"remove":@}}]}',
  '{"key":"k","routes":[{"name":"a","keys":["a"],"requestHeaders":{"remove":[@]}}]}',
  '{"key":"k","default":@,"decisionHeader":@}',
  '{"key":[{"header":@}],"default":{"requestHeaders":{"set":{"x":@}}}}',
  '{"key":@,"destination":@,"rewrites":@}',
  '{"key":"k","rewrites":{"v":@}}',
  '{"key":"k","rewrites":{"v":{"patch":@,"destination":@}}}',
  '{"key":"k","rewrites":{"v":{"patch":[@]}}}',
  '{"key":"k","rewrites":{"v":{"patch":[{"key":@,"val":@}]}}}',
];

describe("config: never aborts", () => {
  it("whatever value any field holds", () => {
    for (let t = 0; t < TEMPLATES.length; t++) {
      for (let v = 0; v < ODD_VALUES.length; v++) {
        const src = TEMPLATES[t].replaceAll("@", ODD_VALUES[v]);
        const r = parseConfigString(src);
        expect((r.config === null) != (r.error === null)).toBe(true, src);
      }
    }
  });

  it("on random byte mutations of a valid config", () => {
    const mutator = new Mutator(0x9E3779B9);
    const base = Uint8Array.wrap(String.UTF8.encode(
      '{"key":[{"header":"x"}],"routes":[{"name":"a","keys":["a","b"],"destination":"http://[::1]:80/p",' +
      '"requestHeaders":{"set":{"h":"v"},"add":{"a":"1"},"remove":["r"]}}],"default":{"destination":"d:1"},' +
      '"decisionHeader":"x-d"}'));
    for (let round = 0; round < 3000; round++) {
      const b = base.slice(0);
      mutator.mutate(b, 3);
      const r = parseConfig(b);
      expect((r.config === null) != (r.error === null)).toBe(true);
    }
  });
});
