// Shared by tests/deploy/istio.test.ts and tests/deploy/istio-sample.test.ts: the Istio API facts
// the manifests are checked against (WasmPlugin fields and the release that brought each, the
// model class per kind, the oldest Istio the manifests support).
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import type { Any } from './deploy-helpers.ts';

// The model classes accept unknown fields; these are the WasmPlugin spec fields of
// istio/api extensions/v1alpha1/wasm.proto, so a misspelt field fails here.
export const WASMPLUGIN_FIELDS = new Set([
  'selector', 'targetRef', 'targetRefs', 'url', 'sha256', 'imagePullPolicy', 'imagePullSecret', 'verificationKey',
  'pluginConfig', 'pluginName', 'phase', 'priority', 'failStrategy', 'vmConfig', 'match', 'type',
]);

export const MODELS: Record<string, new (data: Any) => { validate(): void }> = {
  'extensions.istio.io/v1alpha1/WasmPlugin': WasmPlugin,
  'networking.istio.io/v1beta1/Gateway': Gateway,
  'networking.istio.io/v1beta1/VirtualService': VirtualService,
  'install.istio.io/v1alpha1/IstioOperator': IstioOperator,
};

/**
 * The oldest Istio the manifests work on, and why. WasmPlugin (extensions.istio.io/v1alpha1)
 * arrived in Istio 1.12; later fields raise the bar, and an API server with an older CRD refuses
 * them as unknown fields: match (implemented) 1.16, failStrategy 1.19, type 1.20.
 * networking.istio.io/v1 arrived in 1.22; v1beta1 (same schema) is served since 1.5 and by every
 * current release.
 */
export const MIN_ISTIO = '1.19';
export const WASMPLUGIN_FIELDS_SINCE: Record<string, string> = {
  selector: '1.12', url: '1.12', sha256: '1.12', imagePullPolicy: '1.12', imagePullSecret: '1.12', pluginConfig: '1.12',
  pluginName: '1.12', phase: '1.12', priority: '1.12', match: '1.16', failStrategy: '1.19', type: '1.20',
};
export const minor = (version: string) => Number(version.split('.')[1]);

/** The problems of one WasmPlugin's spec against the API (fields, release) and README's choices. */
export function wasmPluginSpecProblems(file: string, spec: Any): string[] {
  const out: string[] = [];
  for (const k of Object.keys(spec)) {
    if (!WASMPLUGIN_FIELDS.has(k)) out.push(`${file}: spec.${k} is not a WasmPlugin field`);
    else if (!(k in WASMPLUGIN_FIELDS_SINCE)) out.push(`${file}: spec.${k}: add the Istio release that introduced it`);
    else if (minor(WASMPLUGIN_FIELDS_SINCE[k]) > minor(MIN_ISTIO)) {
      out.push(`${file}: spec.${k} needs Istio ${WASMPLUGIN_FIELDS_SINCE[k]}, newer than ${MIN_ISTIO}`);
    }
  }
  return out;
}
