// host/runner/wasm-config.ts: the wasm filter's configuration as Envoy's anyToBytes gives it.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAnyConfiguration, encodeStruct } from '../../../host/runner/wasm-config.ts';

describe('wasm filter configuration', () => {
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

});
