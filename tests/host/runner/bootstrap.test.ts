// host/runner/bootstrap.ts: what the runner reads of an Envoy bootstrap, what it warns about and
// what it refuses.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readBootstrap } from '../../../host/runner/bootstrap.ts';
import { DEFAULT_ACCESS_LOG_FORMAT } from '../../../host/runner/access-log.ts';
import { doc, hcm, REPO_ROOT, refused, wasmConfig } from './bootstrap-doc.ts';

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
    assert.deepEqual([...b.clusters.keys()].sort(), ['default', 'dev', 'routekey-rules'], 'the upstreams and the rules server');
    assert.deepEqual(b.statsTags.map((t) => t.name), ['route', 'reason', 'key_source']);
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

  test('circuit breakers: Envoy\'s defaults (1024 each), the DEFAULT threshold when given, HIGH ignored with a warning', () => {
    const cluster = (f: (d: any) => void) => readBootstrap(doc(f));
    const dflt = cluster(() => {}).clusters.values().next().value!;
    assert.deepEqual(dflt.circuitBreakers, { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 });
    const b = cluster((d) => (d.static_resources.clusters[0].circuit_breakers = { thresholds: [
      { priority: 'HIGH', max_connections: 1 },
      { max_connections: 8, max_pending_requests: '4', max_retries: 3 },
    ] }));
    assert.deepEqual(b.clusters.values().next().value!.circuitBreakers, { maxConnections: 8, maxPendingRequests: 4, maxRequests: 1024 });
    assert.ok(b.warnings.some((w) => /circuit_breakers\.thresholds\[0\]: priority HIGH ignored/.test(w)), b.warnings.join('\n'));
    refused(doc((d) => (d.static_resources.clusters[0].circuit_breakers = { thresholds: [{ max_requests: -1 }] })),
      /thresholds\[0\]\.max_requests: expected an unsigned 32-bit integer/);
  });

  test('warns once per ignored field, naming its path', () => {
    const b = readBootstrap(doc((d) => {
      d.layered_runtime = {};
      d.static_resources.listeners[0].per_connection_buffer_limit_bytes = 1024;
      d.static_resources.clusters[0].lb_policy = 'LEAST_REQUEST';
      d.static_resources.clusters[0].upstream_connection_options = {};
      hcm(d).use_remote_address = true;
    }));
    assert.deepEqual(b.warnings.sort(), [
      'layered_runtime: ignored by the local runner',
      'static_resources.clusters[0].lb_policy: LEAST_REQUEST ignored: the local runner uses ROUND_ROBIN',
      'static_resources.clusters[0].upstream_connection_options: ignored by the local runner',
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

});
