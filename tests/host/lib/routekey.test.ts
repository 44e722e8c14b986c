// The project's own module loads in the host the way Envoy would load it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startPlugin } from '../../../host/lib/index.ts';

const wasmPath = fileURLToPath(new URL('../../../build/routekey.wasm', import.meta.url));
const config = JSON.stringify({ key: 'x-env', default: { destination: 'baseline.svc' } });

test('build/routekey.wasm starts with root id "routekey" and serves a stream cleanly', async () => {
  // npm test builds first; a missing module is a broken build, never a reason to skip.
  assert.ok(existsSync(wasmPath), `${wasmPath} is missing: run \`npm run build\` first`);
  const p = await startPlugin({ wasm: wasmPath, rootId: 'routekey', configuration: config, logLevel: 'trace' });
  try {
    const stream = p.createStream({ 'source.address': '127.0.0.1:40000' });
    const out = stream.onRequestHeaders([[':method', 'GET'], [':path', '/'], ['Host', 'svc.example'], ['x-env', 'dev']], true);
    assert.notEqual(out.action, 'failed', stream.failure);
    stream.onResponseHeaders([[':status', '200']], true);
    stream.complete();
    await p.settle();
    assert.deepEqual(p.failures(), []);
    assert.deepEqual(p.violations(), []);
    assert.ok(p.hostCalls('worker-1').some((c) => c.name === 'proxy_get_property' && c.callback === 'proxy_on_context_create'),
      'the SDK looked up plugin_root_id while creating its root context');
  } finally {
    await p.close();
  }
});
