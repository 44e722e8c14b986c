// host/runner/routing.ts: Envoy's virtual host and route selection.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readBootstrap, type VirtualHost } from '../../../host/runner/bootstrap.ts';
import { VirtualHostIndex, findRoute, stripPort } from '../../../host/runner/routing.ts';
import { doc, hcm } from './bootstrap-doc.ts';

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
