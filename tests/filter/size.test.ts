// The built module's size has a ceiling (issue 11): Istio pulls it into every proxy, Envoy compiles
// it once per worker VM, and most of it is configuration-time code that features keep adding to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtWasm } from '../helpers/routekey.ts';

const CEILING_BYTES = 128 * 1024;

test(`build/routekey.wasm stays under ${CEILING_BYTES / 1024} KiB`, () => {
  const size = builtWasm().byteLength;
  assert.ok(size < CEILING_BYTES, `${size} bytes: over the ${CEILING_BYTES}-byte ceiling`);
  assert.ok(size > 16 * 1024, `${size} bytes: not the filter (an empty or truncated build?)`);
});
