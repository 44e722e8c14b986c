// host/app/image-ref.ts: a WasmPlugin's image reference with a placeholder left in, or a sha256
// Istio cannot use, is refused with a line that says what to put there; a filled-in one passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageReferenceProblems, IMAGE_PLACEHOLDERS } from '../../../host/app/image-ref.ts';

const DIGEST = 'a'.repeat(64);
const problems = (spec: { url?: unknown; sha256?: unknown }) => imageReferenceProblems(spec, 'WasmPlugin routekey');

test('image-ref: the shipped placeholders are refused, each named, with what to do', () => {
  const [url, sha] = problems({ url: 'oci://REGISTRY/routekey:VERSION', sha256: 'DIGEST' });
  assert.match(url, /^WasmPlugin routekey spec\.url: "oci:\/\/REGISTRY\/routekey:VERSION" still holds the placeholder REGISTRY, VERSION: build and push the image/);
  assert.match(sha, /^WasmPlugin routekey spec\.sha256: still the placeholder DIGEST: the image manifest digest/);
  assert.deepEqual(problems({ url: 'oci://REGISTRY/routekey:VERSION' }).length, 1, 'sha256 is optional');
  assert.match(problems({ url: 'oci://ghcr.io/acme/routekey:VERSION' })[0], /placeholder VERSION:/);
  assert.match(problems({ url: 'oci://REGISTRY/routekey:0.1.0' })[0], /placeholder REGISTRY:/);
  assert.deepEqual([...IMAGE_PLACEHOLDERS], ['REGISTRY', 'VERSION', 'DIGEST']);
});

test('image-ref: filled-in references pass, whatever the scheme', () => {
  for (const spec of [
    { url: 'oci://ghcr.io/acme/routekey:0.1.0', sha256: DIGEST },
    { url: 'oci://registry.example.com:5000/team/routekey:v1.2.3' },
    { url: `oci://ghcr.io/acme/routekey@sha256:${DIGEST}`, sha256: DIGEST },
    { url: 'https://example.com/routekey.wasm', sha256: DIGEST },
    { url: 'file:///opt/filters/routekey.wasm' },
    // Lower-case words that contain a placeholder's letters are not placeholders.
    { url: 'oci://registry.internal/versions/routekey:2024.1' },
  ]) {
    assert.deepEqual(problems(spec), [], JSON.stringify(spec));
  }
});

test('image-ref: what Istio would refuse or pull unpinned', () => {
  assert.match(problems({})[0], /spec\.url: missing/);
  assert.match(problems({ url: 'ftp://h/x.wasm' })[0], /expected oci:\/\/, http:\/\/, https:\/\/ or file:\/\//);
  assert.match(problems({ url: 'ghcr.io/acme/routekey:1' })[0], /expected oci:\/\//);
  assert.match(problems({ url: 'oci://ghcr.io/acme/routekey' })[0], /names no tag or digest: Istio would pull :latest/);
  assert.match(problems({ url: 'oci://registry.example.com:5000/routekey' })[0], /names no tag or digest/, 'a registry port is not a tag');
  assert.match(problems({ url: 'oci://ghcr.io/a/r:1', sha256: `sha256:${DIGEST}` })[0], /expected 64 lowercase hex digits without "sha256:"/);
  assert.match(problems({ url: 'oci://ghcr.io/a/r:1', sha256: DIGEST.toUpperCase() })[0], /expected 64 lowercase hex/);
  assert.match(problems({ url: 'oci://ghcr.io/a/r:1', sha256: 42 })[0], /spec\.sha256: 42: expected/);
  const other = 'b'.repeat(64);
  assert.match(problems({ url: `oci://ghcr.io/a/r@sha256:${other}`, sha256: DIGEST })[0], /differs from the digest the url pins/);
});
