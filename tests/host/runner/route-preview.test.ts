// previewRoute: the router's choice for a request as `routekey explain` shows it — the same
// virtual host and route matching the runner forwards by, and what Envoy answers instead when
// nothing matches (NR), the cluster is unknown (NC) or the route answers itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HeaderList } from '../../../host/lib/index.ts';
import { readBootstrap } from '../../../host/runner/bootstrap.ts';
import { previewRoute } from '../../../host/runner/route-preview.ts';
import { doc, hcm } from './bootstrap-doc.ts';

const b = readBootstrap(doc((d) => {
  hcm(d).route_config.virtual_hosts = [
    { name: 'dev', domains: ['dev.svc', 'dev.svc:*'], routes: [
      { name: 'api', match: { prefix: '/api' }, route: { cluster: 'default' } },
      { match: { path: '/teapot' }, direct_response: { status: 418 } },
      { match: { prefix: '/by-header' }, route: { cluster_header: 'x-cluster' } },
    ] },
  ];
}));
const ask = (authority: string, path: string, extra: HeaderList = []) =>
  previewRoute(b, b.listeners[0]!, [[':authority', authority], [':path', path], ...extra]);

test('virtual host by authority (with its port), route by path, its name or where it sits', () => {
  assert.deepEqual(ask('dev.svc:10000', '/api/x'), { virtualHost: 'dev', route: 'api', cluster: 'default' });
  assert.deepEqual(ask('DEV.svc', '/by-header', [['x-cluster', 'default']]), { virtualHost: 'dev', route: 'virtual_hosts[0].routes[2]', cluster: 'default' });
});

test('what Envoy answers instead: no virtual host, no route, an unknown cluster, a direct response', () => {
  assert.deepEqual(ask('other.svc', '/'), { reply: 'NR (no virtual host matches the authority: 404)' });
  assert.deepEqual(ask('dev.svc', '/nothing'), { virtualHost: 'dev', reply: 'NR (no route of the virtual host matches the path: 404)' });
  assert.deepEqual(ask('dev.svc', '/by-header', [['x-cluster', 'nope']]), { virtualHost: 'dev', route: 'virtual_hosts[0].routes[2]', cluster: 'nope', reply: 'NC (no such cluster: 503)' });
  assert.deepEqual(ask('dev.svc', '/teapot'), { virtualHost: 'dev', route: 'virtual_hosts[0].routes[1]', reply: 'direct_response 418' });
});
