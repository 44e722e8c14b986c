// host/runner/stats.ts: stats tags, the Prometheus and text formats of /stats.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { extractTags, formatPrometheus, formatText } from '../../../host/runner/stats.ts';

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
