// host/runner/route-selection.ts: the router's choice, and the local reply, flag and stat of each
// request it cannot forward — without sockets.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readBootstrap } from '../../../host/runner/bootstrap.ts';
import { type RouteContext, selectRoute } from '../../../host/runner/route-selection.ts';
import { VirtualHostIndex } from '../../../host/runner/routing.ts';
import { EndpointPicker } from '../../../host/runner/upstreams.ts';
import { doc, hcm } from './bootstrap-doc.ts';

function context(): RouteContext & { counted: string[] } {
  const b = readBootstrap(doc((d) => {
    hcm(d).route_config.virtual_hosts = [{
      name: 'demo', domains: ['demo'], routes: [
        { name: 'direct', match: { prefix: '/direct' }, direct_response: { status: 204 } },
        { name: 'by-header', match: { prefix: '/by-header' }, route: { cluster_header: 'x-cluster' } },
        { name: 'main', match: { prefix: '/' }, route: { cluster: 'default' } },
      ],
    }];
  }));
  b.clusters.set('empty', { name: 'empty', type: 'STATIC', endpoints: [], connectTimeoutMs: 250, circuitBreakers: { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024 } });
  const counted: string[] = [];
  return {
    virtualHosts: new VirtualHostIndex(b.listeners[0]!.routeTable),
    clusters: b.clusters,
    picker: new EndpointPicker(),
    stat: (name) => counted.push(`http.${name}`),
    inc: (name) => counted.push(name),
    counted,
  };
}

const req = (authority: string, path: string, ...more: Array<[string, string]>): Array<[string, string]> =>
  [[':authority', authority], [':path', path], ...more];

describe('route selection and its local replies', () => {
  test('a route to a cluster forwards to its endpoint', () => {
    const d = selectRoute(context(), req('demo', '/hello'));
    assert.equal(d.kind, 'forward');
    assert.deepEqual(d.kind === 'forward' && [d.route.name, d.cluster.name, d.endpoint], ['main', 'default', { address: 'upstream-default', port: 8080 }]);
  });

  test('no virtual host → 404 route_not_found, NR, counted as no_route', () => {
    const ctx = context();
    const d = selectRoute(ctx, req('elsewhere', '/'));
    assert.deepEqual(d, { kind: 'reply', reply: { status: 404, body: '', headers: [], details: 'route_not_found' }, flags: 'NR' });
    assert.deepEqual(ctx.counted, ['http.no_route']);
  });

  test('direct_response answers with the route named', () => {
    const d = selectRoute(context(), req('demo', '/direct'));
    assert.equal(d.kind === 'reply' && d.route?.name, 'direct');
    assert.deepEqual(d.kind === 'reply' && [d.reply.status, d.reply.details, d.flags], [204, 'direct_response', undefined]);
  });

  test('cluster_header names the cluster (UTF-8 bytes); an unknown one → 503 cluster_not_found, NC', () => {
    const ctx = context();
    assert.equal(selectRoute(ctx, req('demo', '/by-header', ['x-cluster', 'default'])).kind, 'forward');
    const d = selectRoute(ctx, req('demo', '/by-header', ['x-cluster', 'nope']));
    assert.deepEqual(d.kind === 'reply' && [d.reply.status, d.reply.details, d.flags, d.route?.name], [503, 'cluster_not_found', 'NC', 'by-header']);
    assert.deepEqual(ctx.counted, ['http.no_cluster']);
  });

  test('a cluster without endpoints → 503 no healthy upstream, UH, counted on the cluster', () => {
    const ctx = context();
    const d = selectRoute(ctx, req('demo', '/by-header', ['x-cluster', 'empty']));
    assert.deepEqual(d.kind === 'reply' && [d.reply.status, d.reply.body, d.flags, d.cluster?.name], [503, 'no healthy upstream', 'UH', 'empty']);
    assert.deepEqual(ctx.counted, ['cluster.empty.upstream_cx_none_healthy']);
  });
});
