// host/runner/overlay.ts: the overlay that moves a bootstrap to local addresses and a local .wasm,
// the same for the runner and host/app/overlay.ts.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { readBootstrap } from '../../../host/runner/bootstrap.ts';
import { applyOverlay, readOverlay } from '../../../host/runner/overlay.ts';
import { doc, hcm, wasmConfig } from './bootstrap-doc.ts';

describe('overlay', () => {
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

});
