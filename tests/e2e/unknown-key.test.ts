// The unknown-key local reply and response headers over real sockets: envoy/envoy.yaml with its
// configuration given an unknownKey reply, served by the runner with the real filter.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, request, realWasmAvailable, startBed, type Bed, type Echo } from './harness.ts';

const skip = realWasmAvailable() ? false : 'build/routekey.wasm is missing (npm run build)';

const CONFIG = {
  key: 'environment',
  routes: [{ name: 'dev', keys: ['dev'], destination: 'http://dev.demo', responseHeaders: { set: { 'x-sandbox': 'dev' } } }],
  default: { destination: 'http://default.demo' },
  unknownKey: { reply: { status: 404, body: 'no sandbox for key {key}\n' }, responseHeaders: { set: { 'cache-control': 'no-store' } } },
  decisionHeader: 'x-routekey-route',
};

describe('unknownKey reply through the runner, real filter', { skip, timeout: 30_000 }, () => {
  let bed: Bed;
  before(async () => {
    const shipped = readFileSync(join(REPO_ROOT, 'envoy', 'envoy.yaml'), 'utf8');
    const yaml = shipped.replace(/(value: \|-\n\s+)\{"key":"environment".*\}\n/, (_m, lead: string) => `${lead}${JSON.stringify(CONFIG)}\n`);
    assert.notEqual(yaml, shipped, 'the configuration was replaced');
    bed = await startBed({ yaml, upstreams: ['default', 'dev'], deadClusters: ['routekey-rules'] });
  });
  after(async () => bed?.close());

  test('an unknown key gets the 404 from the proxy, escaped, with the reply headers', async () => {
    const r = await request(bed.url('/hello'), { headers: { environment: '<b>pr-7</b>' } });
    assert.equal(r.status, 404);
    assert.equal(r.body.toString(), 'no sandbox for key %3Cb%3Epr-7%3C/b%3E\n');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['content-length'], String(r.body.length));
    assert.equal(r.headers['cache-control'], 'no-store', JSON.stringify(r.headers));
    assert.equal(r.headers['x-routekey-route'], 'unknownKey');
  });

  test('a known key reaches its upstream with its response header; no key the default', async () => {
    const dev = await request(bed.url('/hello'), { headers: { environment: 'dev' } });
    assert.equal(dev.json<Echo>().upstream, 'dev');
    assert.equal(dev.headers['x-sandbox'], 'dev');
    const none = await request(bed.url('/hello'));
    assert.equal(none.json<Echo>().upstream, 'default');
    assert.equal(none.headers['x-routekey-route'], 'default');
  });
});
