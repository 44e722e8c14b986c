// The image reference of an Istio WasmPlugin (spec.url, spec.sha256), checked before anything is
// applied: the manifests in istio/ ship with placeholders (oci://REGISTRY/routekey:VERSION,
// sha256: DIGEST) that Istio would accept as written and then fail to fetch, which with
// failStrategy FAIL_CLOSE refuses every request the plugin covers. Pure: nothing is fetched.
//
// To be called by `routekey validate` for each WasmPlugin (host/app/validate.ts, fromWasmPlugin):
//   problems.push(...imageReferenceProblems(spec, `WasmPlugin ${name}`));

/** The placeholders istio/ uses for the image reference until it is filled in. */
export const IMAGE_PLACEHOLDERS = ['REGISTRY', 'VERSION', 'DIGEST'] as const;

/** URL schemes Istio's WasmPlugin fetches from. */
const SCHEMES = ['oci', 'http', 'https', 'file'];

/** What Istio's CRD (and its wasm cache) accepts as spec.sha256: 64 lowercase hex digits. */
const SHA256 = /^[a-f0-9]{64}$/;

const FILL_IN =
  'build and push the image (make image IMAGE=<registry>/routekey:<tag>; docker push <registry>/routekey:<tag>) ' +
  'and put its reference here';

/** The placeholders that stand as a whole part of `text` (split at / : @ . and whitespace). */
function placeholdersIn(text: string): string[] {
  const parts = new Set(text.split(/[/:@.\s]+/));
  return IMAGE_PLACEHOLDERS.filter((p) => parts.has(p));
}

/**
 * The problems of a WasmPlugin spec's image reference, one line each, prefixed with `label`
 * (e.g. "WasmPlugin routekey"); empty when url and sha256 can be applied as they are.
 * - spec.url: present, one of oci://, http(s)://, file://, no placeholder part; an oci:// url
 *   names a tag or a digest (no implicit :latest).
 * - spec.sha256 (optional): 64 lowercase hex digits, no placeholder. For an oci:// url it is the
 *   digest of the image manifest Istio pulls (not sha256sum of the .wasm); when the url pins
 *   @sha256:<hex>, both must agree.
 */
export function imageReferenceProblems(spec: { url?: unknown; sha256?: unknown }, label: string): string[] {
  const problems: string[] = [];
  const { url, sha256 } = spec;
  if (typeof url !== 'string' || url === '') {
    problems.push(`${label} spec.url: missing: where Istio fetches the module (oci://<registry>/<repository>:<tag>, https://… or file://…)`);
  } else {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase();
    const left = placeholdersIn(url);
    if (left.length > 0) {
      problems.push(`${label} spec.url: ${JSON.stringify(url)} still holds the placeholder ${left.join(', ')}: ${FILL_IN}`);
    } else if (scheme === undefined || !SCHEMES.includes(scheme)) {
      problems.push(`${label} spec.url: ${JSON.stringify(url)}: expected oci://, http://, https:// or file://`);
    } else if (scheme === 'oci' && !/@sha256:[a-f0-9]{64}$/.test(url) && !/:[\w][\w.-]{0,127}$/.test(url.slice(url.lastIndexOf('/') + 1))) {
      problems.push(`${label} spec.url: ${JSON.stringify(url)} names no tag or digest: Istio would pull :latest; name the tag you pushed`);
    }
  }
  if (sha256 !== undefined) {
    const text = String(sha256);
    const left = placeholdersIn(text);
    if (left.length > 0) {
      problems.push(`${label} spec.sha256: still the placeholder ${left.join(', ')}: the image manifest digest ` +
        '(the "digest: sha256:<hex>" line of docker push, or crane digest), 64 hex digits without "sha256:"');
    } else if (typeof sha256 !== 'string' || !SHA256.test(sha256)) {
      problems.push(`${label} spec.sha256: ${JSON.stringify(sha256)}: expected 64 lowercase hex digits without "sha256:"`);
    } else if (typeof url === 'string') {
      const pinned = /@sha256:([a-f0-9]{64})$/.exec(url)?.[1];
      if (pinned !== undefined && pinned !== sha256) {
        problems.push(`${label} spec.sha256: differs from the digest the url pins (@sha256:${pinned}): Istio refuses the module`);
      }
    }
  }
  return problems;
}
