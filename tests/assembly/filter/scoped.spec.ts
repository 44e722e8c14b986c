// Host-scoped routes and key prefixes: the request's :authority as filter/host.ts reads it, then
// the precedence of rules/match.ts (host with port, host, any host; exact key, longest prefix).
import { RequestHost, readRequestHost, hostLength } from "../../../assembly/filter/host";
import { matchKey } from "../../../assembly/rules/match";
import { NO_ACTION, RuleTable } from "../../../assembly/rules/table";
import { addRequest, clearRequest, tableFor } from "../host";

export { malloc } from "../host";

// Route indexes: 0 a-port, 1 a, 2 b, 3 all, 4 pr-a, 5 pr, 6 pr-12.
const SCOPED = '{"key":"x-env","routes":[' +
  '{"name":"a-port","keys":["k"],"hosts":["svc-a:8080"],"destination":"a-port.svc"},' +
  '{"name":"a","keys":["k","only-a"],"hosts":["svc-a","SVC-A.ns.svc.cluster.local"],"destination":"a.svc"},' +
  '{"name":"b","keys":["k"],"hosts":["svc-b"],"destination":"b.svc"},' +
  '{"name":"all","keys":["k","pr-1"],"destination":"all.svc"},' +
  '{"name":"pr-a","prefixes":["pr-"],"hosts":["svc-a"],"destination":"pr-a.svc"},' +
  '{"name":"pr","prefixes":["pr-"],"destination":"pr.svc"},' +
  '{"name":"pr-12","prefixes":["pr-12"],"destination":"pr-12.svc"}]}';

const host = new RequestHost();

/** The action for `key` on a request to `authority` ("" for none), as the stream finds it. */
function decide(t: RuleTable, authority: string, key: string): i32 {
  clearRequest();
  if (authority.length > 0) addRequest(":authority", authority);
  readRequestHost(t, host);
  const b = String.UTF8.encode(key);
  return matchKey(t, changetype<usize>(b), <usize>b.byteLength, host.id, host.bareId);
}

function bareLength(authority: string): usize {
  const b = String.UTF8.encode(authority);
  return hostLength(changetype<usize>(b), <usize>b.byteLength);
}

describe("host-scoped routes", () => {
  it("takes the host's route over the every-host route, the port's over the host's", () => {
    const t = tableFor(SCOPED);
    expect(decide(t, "svc-a:8080", "k")).toBe(0, "host with its port");
    expect(decide(t, "svc-a:9090", "k")).toBe(1, "another port: the host without port");
    expect(decide(t, "svc-a", "k")).toBe(1, "no port");
    expect(decide(t, "svc-b:80", "k")).toBe(2);
    expect(decide(t, "svc-c", "k")).toBe(3, "a host no route lists: the every-host route");
    expect(decide(t, "", "k")).toBe(3, "no :authority");
  });

  it("matches hosts case-insensitively, like Envoy's virtual-host domains", () => {
    const t = tableFor(SCOPED);
    expect(decide(t, "SVC-A:8080", "k")).toBe(0);
    expect(decide(t, "svc-a.NS.svc.cluster.local", "k")).toBe(1);
    expect(decide(t, "Svc-B", "k")).toBe(2);
  });

  it("gives a key scoped to one host nothing on the others", () => {
    const t = tableFor(SCOPED);
    expect(decide(t, "svc-a", "only-a")).toBe(1);
    expect(decide(t, "svc-b", "only-a")).toBe(NO_ACTION);
    expect(decide(t, "svc-a.ns", "only-a")).toBe(NO_ACTION, "a host is matched whole, not as a prefix");
  });

  it("tries the exact key, then the longest prefix, within each host before the next", () => {
    const t = tableFor(SCOPED);
    expect(decide(t, "svc-b", "pr-1")).toBe(3, "exact beats prefix");
    expect(decide(t, "svc-b", "pr-123")).toBe(6, "the longest prefix");
    expect(decide(t, "svc-b", "pr-7")).toBe(5);
    expect(decide(t, "svc-b", "pr-")).toBe(5, "a key equal to the prefix");
    expect(decide(t, "svc-b", "pr")).toBe(NO_ACTION, "shorter than every prefix");
    expect(decide(t, "svc-a", "pr-123")).toBe(4, "the host's prefix beats the every-host ones");
    expect(decide(t, "svc-a", "pr-1")).toBe(4, "and their exact keys");
  });

  it("does not read :authority when no route is scoped to hosts", () => {
    const t = tableFor('{"key":"x-env","routes":[{"name":"a","keys":["k"],"destination":"a.svc"}]}');
    expect(t.scoped).toBe(false);
    clearRequest();
    addRequest(":authority", "svc-a");
    host.id = 7;
    readRequestHost(t, host);
    expect(host.id).toBe(0);
    expect(host.bareId).toBe(0);
  });

  it("strips the port the way Envoy does: from the last colon, unless a ] follows it", () => {
    expect(bareLength("svc-a:8080")).toBe(5);
    expect(bareLength("svc-a")).toBe(5);
    expect(bareLength("svc-a:")).toBe(5);
    expect(bareLength("[::1]:80")).toBe(5);
    expect(bareLength("[::1]")).toBe(5);
    expect(bareLength("[::1]:")).toBe(5);
    expect(bareLength("10.0.0.1:443")).toBe(8);
    expect(bareLength("svc-a:80x")).toBe(5);
    expect(bareLength("::1")).toBe(1);
    expect(bareLength("")).toBe(0);
  });

  it("lets a prefix for host:port beat an exact key for the host without it", () => {
    const t = tableFor('{"key":"x-env","routes":[' +
      '{"name":"port-prefix","prefixes":["pr-"],"hosts":["svc-a:8080"],"destination":"a.svc"},' +
      '{"name":"host-exact","keys":["pr-1"],"hosts":["svc-a"],"destination":"b.svc"}]}');
    expect(decide(t, "svc-a:8080", "pr-1")).toBe(0);
    expect(decide(t, "svc-a:9090", "pr-1")).toBe(1);
  });
});
