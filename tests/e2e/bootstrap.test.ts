// The bootstrap reader, Envoy's virtual-host/route matching and stats formatting — no sockets.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { applyOverlay, BootstrapError, readBootstrap, readOverlay, type VirtualHost } from '../../host/runner/bootstrap.ts';
import { DEFAULT_ACCESS_LOG_FORMAT, formatAccessLog } from '../../host/runner/access-log.ts';
import { decodeAnyConfiguration, encodeStruct } from '../../host/runner/wasm-config.ts';
import { VirtualHostIndex, findRoute, stripPort } from '../../host/runner/routing.ts';
import { extractTags, formatPrometheus, formatText } from '../../host/runner/stats.ts';
import { REPO_ROOT } from './harness.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const WASM = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** A minimal valid bootstrap as a plain object; `edit` changes it before reading. */
function doc(edit: (d: any) => void = () => {}): any {
  const d: any = {
    static_resources: {
      listeners: [{
        name: 'main',
        address: { socket_address: { address: '0.0.0.0', port_value: 10000 } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: 'ingress_http',
              route_config: {
                name: 'local',
                virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'default' } }] }],
              },
              http_filters: [
                {
                  name: 'envoy.filters.http.wasm',
                  typed_config: {
                    '@type': WASM,
                    config: {
                      name: 'routekey',
                      root_id: 'routekey',
                      configuration: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"key":"x"}' },
                      vm_config: { runtime: 'envoy.wasm.runtime.v8', code: { local: { filename: '/etc/envoy/routekey.wasm' } } },
                    },
                  },
                },
                { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
              ],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'default',
        type: 'STRICT_DNS',
        connect_timeout: '0.25s',
        load_assignment: {
          cluster_name: 'default',
          endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'upstream-default', port_value: 8080 } } } }] }],
        },
      }],
    },
    admin: { address: { socket_address: { address: '0.0.0.0', port_value: 9901 } } },
  };
  edit(d);
  return d;
}
const hcm = (d: any) => d.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const wasmConfig = (d: any) => hcm(d).http_filters[0].typed_config.config;

function refused(d: any, pattern: RegExp) {
  assert.throws(() => readBootstrap(d), (e: unknown) => {
    assert.ok(e instanceof BootstrapError, `expected a BootstrapError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('bootstrap reader', () => {
  test('reads the supported subset', () => {
    const b = readBootstrap(doc());
    assert.deepEqual(b.warnings, []);
    const l = b.listeners[0]!;
    assert.deepEqual(l.address, { address: '0.0.0.0', port: 10000 });
    assert.equal(l.statPrefix, 'ingress_http');
    assert.deepEqual(l.wasmFilters.map((w) => [w.name, w.rootId, w.configuration, w.filename, w.failurePolicy]), [
      ['routekey', 'routekey', '{"key":"x"}', '/etc/envoy/routekey.wasm', 'fail_closed'],
    ]);
    const c = b.clusters.get('default')!;
    assert.deepEqual([c.type, c.connectTimeoutMs, c.endpoints], ['STRICT_DNS', 250, [{ address: 'upstream-default', port: 8080 }]]);
    assert.deepEqual(b.admin, { address: '0.0.0.0', port: 9901 });
    assert.equal(l.routeTable.virtualHosts[0]!.routes[0]!.timeoutMs, 15000);
  });

  test('reads the shipped envoy/envoy.yaml without warnings', () => {
    const b = readBootstrap(parse(readFileSync(join(REPO_ROOT, 'envoy', 'envoy.yaml'), 'utf8')));
    assert.deepEqual(b.warnings, []);
    const vhosts = b.listeners[0]!.routeTable.virtualHosts.map((v) => v.name);
    assert.ok(vhosts.includes('default.demo') && vhosts.includes('dev.demo'), vhosts.join());
    assert.deepEqual([...b.clusters.keys()].sort(), ['default', 'dev']);
    assert.equal(b.statsTags.length, 1);
    assert.equal(b.listeners[0]!.wasmFilters[0]!.rootId, 'routekey');
  });

  test('failure policy: fail_open and failure_policy', () => {
    assert.equal(readBootstrap(doc((d) => (wasmConfig(d).fail_open = true))).listeners[0]!.wasmFilters[0]!.failurePolicy, 'fail_open');
    assert.equal(readBootstrap(doc((d) => (wasmConfig(d).failure_policy = 'FAIL_RELOAD'))).listeners[0]!.wasmFilters[0]!.failurePolicy, 'fail_reload');
    refused(doc((d) => (wasmConfig(d).failure_policy = 'SOMETIMES')), /config\.failure_policy: expected FAIL_CLOSED/);
  });

  test('configuration as Envoy\'s anyToBytes: a Struct arrives as protobuf (not JSON), BytesValue as bytes, none as empty', () => {
    const s = readBootstrap(doc((d) => (wasmConfig(d).configuration = { '@type': 'type.googleapis.com/google.protobuf.Struct', value: { key: 'x-env' } })));
    const bytes = s.listeners[0]!.wasmFilters[0]!.configuration as Uint8Array;
    // Struct{fields: {"key": Value{string_value: "x-env"}}}
    assert.deepEqual([...bytes], [0x0a, 0x0e, 0x0a, 0x03, ...Buffer.from('key'), 0x12, 0x07, 0x1a, 0x05, ...Buffer.from('x-env')]);
    const b = readBootstrap(doc((d) => (wasmConfig(d).configuration = { '@type': 'type.googleapis.com/google.protobuf.BytesValue', value: Buffer.from('raw\xff', 'latin1').toString('base64') })));
    assert.deepEqual([...(b.listeners[0]!.wasmFilters[0]!.configuration as Uint8Array)], [0x72, 0x61, 0x77, 0xff]);
    const e = readBootstrap(doc((d) => delete wasmConfig(d).configuration));
    assert.equal(e.listeners[0]!.wasmFilters[0]!.configuration, '');
    refused(doc((d) => (wasmConfig(d).configuration = { '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1s' })),
      /config\.configuration\.@type: configuration type type\.googleapis\.com\/google\.protobuf\.Duration is not supported/);
  });

  test('decodeAnyConfiguration / encodeStruct: numbers as doubles, lists, nesting, null', () => {
    assert.deepEqual(decodeAnyConfiguration({ '@type': 'type.googleapis.com/google.protobuf.StringValue', value: '{"a":1}' }), { ok: true, value: '{"a":1}' });
    assert.deepEqual(decodeAnyConfiguration(undefined), { ok: true, value: '' });
    assert.deepEqual(decodeAnyConfiguration({ value: 'x' }), { ok: false, field: '@type', problem: 'configuration type (none) is not supported (use google.protobuf.StringValue, BytesValue or Struct)' });
    // {"n": 1.5} → field 1 { key "n", value { number_value (fixed64) 1.5 } }
    const n = encodeStruct({ n: 1.5 });
    assert.deepEqual([...n.subarray(0, 7)], [0x0a, 0x0e, 0x0a, 0x01, 0x6e, 0x12, 0x09]);
    assert.equal(n[7], 0x11);
    assert.equal(Buffer.from(n.subarray(8)).readDoubleLE(0), 1.5);
    const nested = encodeStruct({ l: [true, null], s: { k: 'v' } });
    assert.ok(nested.length > 0 && nested[0] === 0x0a);
  });

  test('warns once per ignored field, naming its path', () => {
    const b = readBootstrap(doc((d) => {
      d.layered_runtime = {};
      d.static_resources.listeners[0].per_connection_buffer_limit_bytes = 1024;
      d.static_resources.clusters[0].lb_policy = 'LEAST_REQUEST';
      d.static_resources.clusters[0].circuit_breakers = {};
      hcm(d).use_remote_address = true;
    }));
    assert.deepEqual(b.warnings.sort(), [
      'layered_runtime: ignored by the local runner',
      'static_resources.clusters[0].circuit_breakers: ignored by the local runner',
      'static_resources.clusters[0].lb_policy: LEAST_REQUEST ignored: the local runner uses ROUND_ROBIN',
      'static_resources.listeners[0].filter_chains[0].filters[0].typed_config.use_remote_address: ignored by the local runner',
      'static_resources.listeners[0].per_connection_buffer_limit_bytes: ignored by the local runner',
    ]);
  });

  const refusals: Array<[string, (d: any) => void, RegExp]> = [
    ['TLS on the listener', (d) => (d.static_resources.listeners[0].filter_chains[0].transport_socket = { name: 'tls' }),
      /^static_resources\.listeners\[0\]\.filter_chains\[0\]\.transport_socket: TLS/],
    ['TLS to a cluster', (d) => (d.static_resources.clusters[0].transport_socket = { name: 'tls' }), /^static_resources\.clusters\[0\]\.transport_socket: TLS/],
    ['a routing HTTP filter', (d) => hcm(d).http_filters.unshift({ name: 'envoy.filters.http.lua', typed_config: {} }),
      /http_filters\[0\]: HTTP filter envoy\.filters\.http\.lua is not supported/],
    ['the router not last', (d) => hcm(d).http_filters.reverse(), /http_filters\[1\]: the router filter must be the last/],
    ['no router', (d) => hcm(d).http_filters.pop(), /http_filters: envoy\.filters\.http\.router must be the last/],
    ['RDS', (d) => (hcm(d).rds = { route_config_name: 'x' }), /typed_config\.rds: RDS is not supported/],
    ['xDS', (d) => (d.dynamic_resources = {}), /^dynamic_resources: xDS/],
    ['weighted clusters', (d) => (hcm(d).route_config.virtual_hosts[0].routes[0].route = { weighted_clusters: {} }), /route\.weighted_clusters: not supported/],
    ['header matching', (d) => (hcm(d).route_config.virtual_hosts[0].routes[0].match.headers = [{ name: 'x' }]), /match\.headers: route matching on this/],
    ['an unknown cluster', (d) => (hcm(d).route_config.virtual_hosts[0].routes[0].route.cluster = 'nope'), /routes\[0\]\.route\.cluster: unknown cluster "nope"/],
    ['EDS', (d) => (d.static_resources.clusters[0].type = 'EDS'), /clusters\[0\]\.type: cluster type EDS is not supported/],
    ['remote wasm code', (d) => (wasmConfig(d).vm_config.code = { remote: {} }), /vm_config\.code\.remote: remote Wasm code/],
    ['duplicate domains', (d) => hcm(d).route_config.virtual_hosts.push({ name: 'b', domains: ['*'], routes: [] }),
      /only unique values for domains are permitted; domain "\*" is in virtual hosts "all" and "b"/],
    ['a wildcard inside a domain', (d) => (hcm(d).route_config.virtual_hosts[0].domains = ['a.*.com']), /a wildcard may only start or end a domain/],
    ['two filter chains', (d) => d.static_resources.listeners[0].filter_chains.push({}), /filter_chains: expected exactly one filter chain, got 2/],
    ['a bad port', (d) => (d.static_resources.listeners[0].address.socket_address.port_value = 70000), /socket_address\.port_value: expected a port/],
  ];
  for (const [name, edit, pattern] of refusals) test(`refuses ${name}`, () => refused(doc(edit), pattern));

  test('the overlay moves addresses and maps the wasm filename', () => {
    const overlay = readOverlay(parse(
      'listener: {address: 127.0.0.1, port: 0}\nadmin: {port: 19901}\nclusters:\n  default: {address: 127.0.0.1, port: 8081}\nwasm: {filename: build/routekey.wasm}\n',
    ));
    const b = readBootstrap(doc(), { overlay, overlayDir: '/repo' });
    assert.deepEqual(b.listeners[0]!.address, { address: '127.0.0.1', port: 0 });
    assert.deepEqual(b.admin, { address: '0.0.0.0', port: 19901 });
    assert.deepEqual(b.clusters.get('default')!.endpoints, [{ address: '127.0.0.1', port: 8081 }]);
    assert.equal(b.clusters.get('default')!.type, 'STATIC');
    assert.equal(b.listeners[0]!.wasmFilters[0]!.filename, '/repo/build/routekey.wasm');
    assert.deepEqual(b.warnings, []);
  });

  test('one overlay for the runner and host/app/overlay.ts: the document is adjusted, the original kept', () => {
    const original = doc((d) => {
      delete d.admin;
      d.static_resources.listeners.push({ ...structuredClone(d.static_resources.listeners[0]), name: 'second' });
    });
    const warnings: string[] = [];
    const out = applyOverlay(original, {
      listener: { port: 18000 }, admin: { port: 0 }, clusters: { default: { address: 'localhost', port: 9 } },
      wasm: { filename: 'x.wasm' },
    }, '/root', (w) => warnings.push(w));
    assert.deepEqual(out.static_resources.listeners[0].address, { socket_address: { address: '0.0.0.0', port_value: 18000 } });
    assert.deepEqual(out.static_resources.listeners[1].address.socket_address.port_value, 10000);
    assert.deepEqual(warnings, ['overlay listener: applied to the first listener only (main)']);
    assert.deepEqual(out.admin, { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } });
    assert.equal(out.static_resources.clusters[0].type, 'STRICT_DNS', 'a name needs DNS; STATIC takes IPs only');
    assert.equal(wasmConfig(out).vm_config.code.local.filename, '/root/x.wasm');
    assert.equal(original.admin, undefined);
    assert.equal(wasmConfig(original).vm_config.code.local.filename, '/etc/envoy/routekey.wasm');
  });

  test('overlay mistakes are refused', () => {
    assert.throws(() => readBootstrap(doc(), { overlay: { clusters: { nope: { address: '127.0.0.1', port: 1 } } } }), /overlay clusters\.nope: no such cluster/);
    assert.throws(() => readOverlay({ listeners: {} }), /overlay listeners: unknown field/);
    assert.throws(() => readOverlay({ clusters: { a: { address: '127.0.0.1' } } }), /overlay clusters\.a\.port: expected a port/);
    assert.throws(() => readBootstrap(doc((d) => hcm(d).http_filters.shift()), { overlay: { wasm: { filename: 'x.wasm' } } }),
      /overlay wasm: no envoy\.filters\.http\.wasm filter/);
  });

  test('access log: the first one\'s text format, Envoy\'s default when it names none; unknown operators warned', () => {
    const dflt = readBootstrap(doc((d) => (hcm(d).access_log = [{ name: 'envoy.access_loggers.stdout' }])));
    assert.equal(dflt.listeners[0]!.accessLog?.format, DEFAULT_ACCESS_LOG_FORMAT);
    assert.deepEqual(dflt.warnings, []);
    const custom = readBootstrap(doc((d) => (hcm(d).access_log = [{
      name: 'envoy.access_loggers.file',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog',
        path: '/var/log/envoy.log',
        log_format: { text_format_source: { inline_string: '%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %HOSTNAME%\n' } },
      },
    }])));
    assert.equal(custom.listeners[0]!.accessLog?.format, '%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %HOSTNAME%\n');
    assert.deepEqual(custom.warnings.map((w) => w.replace(/^.*typed_config\./, '').replace(/^.*access_log\[0\]/, 'access_log[0]')), [
      'path: ignored: the local runner prints the access log to stdout',
      'access_log[0]: printed as "-" by the local runner: %HOSTNAME%',
    ]);
    assert.equal(readBootstrap(doc()).listeners[0]!.accessLog, undefined);
  });

  test('access-log formatting: operators, REQ(a?b), truncation, "-" for missing', () => {
    const line = formatAccessLog('[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %REQ(USER-AGENT):3% %RESP(SERVER)% %UPSTREAM_HOST% %X%\n', {
      startTime: Date.UTC(2024, 0, 2, 3, 4, 5, 6), protocol: 'HTTP/1.1',
      requestHeaders: [[':method', 'GET'], [':path', '/p'], ['user-agent', 'curl/8']], responseHeaders: [['server', 'envoy']],
      responseCode: 200, responseFlags: '-', details: 'via_upstream', bytesReceived: 0, bytesSent: 1, durationMs: 2,
      downstreamRemoteAddress: '127.0.0.1:1', downstreamLocalAddress: '127.0.0.1:2',
    });
    assert.equal(line, '[2024-01-02T03:04:05.006Z] "GET /p HTTP/1.1" 200 via_upstream cur envoy - -');
  });
});

describe('virtual host selection (Envoy order: exact, *suffix, prefix*, *)', () => {
  const vh = (name: string, ...domains: string[]): VirtualHost => ({ name, domains, routes: [] });
  const table = {
    name: 't',
    ignorePortInHostMatching: false,
    virtualHosts: [
      vh('exact', 'www.example.com'),
      vh('suffix', '*.example.com'),
      vh('suffix-dash', '*-bar.example.com'),
      vh('prefix', 'api.*'),
      vh('prefix-long', 'api.v2.*'),
      vh('port', 'localhost:*'),
      vh('fallback', '*'),
    ],
  };
  const index = new VirtualHostIndex(table);
  const cases: Array<[string, string | undefined]> = [
    ['www.example.com', 'exact'],
    ['WWW.Example.COM', 'exact'],
    ['a.example.com', 'suffix'],
    ['a.b.example.com', 'suffix'],
    ['foo-bar.example.com', 'suffix-dash'], // the longer suffix wins
    ['-bar.example.com', 'suffix'], // a wildcard never matches the empty string
    ['.example.com', 'fallback'],
    ['example.com', 'fallback'],
    ['api.foo', 'prefix'],
    ['api.v2.foo', 'prefix-long'],
    ['api.example.com', 'suffix'], // suffixes before prefixes
    ['localhost:10000', 'port'],
    ['localhost', 'fallback'],
    ['www.example.com:80', 'fallback'], // the port is part of the host unless stripped
  ];
  for (const [host, want] of cases) {
    test(`${host} → ${want}`, () => assert.equal(index.find(host)?.name, want));
  }
  test('no `*` virtual host: an unknown host finds nothing', () => {
    const t = { ...table, virtualHosts: table.virtualHosts.filter((v) => v.name !== 'fallback') };
    assert.equal(new VirtualHostIndex(t).find('other.org'), undefined);
  });
  test('ignore_port_in_host_matching / strip_any_host_port', () => {
    assert.equal(new VirtualHostIndex({ ...table, ignorePortInHostMatching: true }).find('www.example.com:8080')?.name, 'exact');
    assert.equal(new VirtualHostIndex(table, true).find('www.example.com:8080')?.name, 'exact');
    assert.equal(stripPort('[::1]:80'), '[::1]');
    assert.equal(stripPort('::1'), '::1');
  });
});

describe('route selection', () => {
  const vh = readBootstrap(doc((d) => {
    hcm(d).route_config.virtual_hosts[0].routes = [
      { match: { path: '/exact' }, route: { cluster: 'default', timeout: '2s' } },
      { match: { prefix: '/API', case_sensitive: false }, route: { cluster: 'default', prefix_rewrite: '/v2' } },
      { match: { safe_regex: { regex: '/items/[0-9]+' } }, direct_response: { status: 200, body: { inline_string: 'item' } } },
      { match: { prefix: '/static' }, route: { cluster_header: 'X-Cluster' } },
    ];
  })).listeners[0]!.routeTable.virtualHosts[0]!;
  const cases: Array<[string, number | undefined]> = [
    ['/exact', 0], ['/exact?x=1', 0], ['/exact/more', undefined],
    ['/api/users', 1], ['/Api', 1],
    ['/items/42', 2], ['/items/42?q', 2], ['/items/x', undefined],
    ['/static/a.css', 3], ['/', undefined],
  ];
  for (const [path, want] of cases) {
    test(`${path} → ${want ?? 'none'}`, () => {
      const r = findRoute(vh, path);
      assert.equal(r === undefined ? undefined : vh.routes.indexOf(r), want);
    });
  }
  test('route fields', () => {
    assert.equal(vh.routes[0]!.timeoutMs, 2000);
    assert.equal(vh.routes[1]!.prefixRewrite, '/v2');
    assert.deepEqual(vh.routes[2]!.directResponse, { status: 200, body: 'item' });
    assert.equal(vh.routes[3]!.clusterHeader, 'x-cluster');
  });
});

describe('stats formatting', () => {
  const tags = [{ name: 'route', regex: /^wasmcustom\.routekey\.routed(\.route\.([A-Za-z0-9_-]+))$/ }];
  test('the first capture group leaves the name, the second is the value', () => {
    assert.deepEqual(extractTags('wasmcustom.routekey.routed.route.dev', tags), { name: 'wasmcustom.routekey.routed', tags: [['route', 'dev']] });
    assert.deepEqual(extractTags('wasmcustom.routekey.default', tags), { name: 'wasmcustom.routekey.default', tags: [] });
  });
  test('prometheus: wasmcustom dropped, dots to underscores, one TYPE line per family', () => {
    const text = formatPrometheus([
      { name: 'wasmcustom.routekey.routed.route.dev', type: 'counter', value: 2 },
      { name: 'wasmcustom.routekey.routed.route.pr-42', type: 'counter', value: 1 },
      { name: 'wasmcustom.routekey.default', type: 'counter', value: 3 },
      { name: 'http.ingress_http.downstream_rq_total', type: 'counter', value: 6 },
      { name: 'wasmcustom.lat', type: 'histogram', value: 2, samples: [3, 700] },
    ], tags);
    assert.match(text, /^# TYPE routekey_routed counter\nroutekey_routed\{route="dev"\} 2\nroutekey_routed\{route="pr-42"\} 1$/m);
    assert.match(text, /^# TYPE routekey_default counter\nroutekey_default 3$/m);
    assert.match(text, /^envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="ingress_http"\} 6$/m);
    assert.match(text, /^lat_bucket\{le="5"\} 1$/m);
    assert.match(text, /^lat_count 2$/m);
    assert.equal(text.match(/# TYPE routekey_routed/g)!.length, 1);
  });
  test('text: name: value', () => {
    assert.equal(formatText([{ name: 'wasmcustom.a', type: 'counter', value: 1 }, { name: 'b', type: 'gauge', value: 2 }]), 'wasmcustom.a: 1\nb: 2\n');
  });
});
