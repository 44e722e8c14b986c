// Shared by tests/deploy/istio.test.ts, istio-sample.test.ts and istio-sandbox.test.ts: the Istio
// API facts the manifests are checked against (WasmPlugin fields and the release that brought
// each, the model class per kind, the oldest Istio the manifests support, the core kinds' fields
// the samples use) and the route config a caller's sidecar gets for a port.
import { WasmPlugin } from '@kubernetes-models/istio/extensions.istio.io/v1alpha1/WasmPlugin';
import { Gateway } from '@kubernetes-models/istio/networking.istio.io/v1beta1/Gateway';
import { VirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { IstioOperator } from '@kubernetes-models/istio/install.istio.io/v1alpha1/IstioOperator';
import { ObjectMeta, LabelSelector } from '@kubernetes-models/apimachinery/apis/meta/v1';
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

// Core kinds: the fields the samples (istio/sample/, istio/sandbox/) may use (no core models are
// installed: a misspelt field or a wrong type fails here, the way the API server would refuse it).
export function coreProblems(where: string, doc: Any): string[] {
  const out: string[] = [];
  const only = (path: string, o: Any, allowed: string[]) => {
    for (const k of Object.keys(o ?? {})) if (!allowed.includes(k)) out.push(`${where}: ${path}.${k}: not a field the samples use`);
  };
  const port = (path: string, n: unknown) => {
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 65535) out.push(`${where}: ${path}: expected a port, got ${JSON.stringify(n)}`);
  };
  const meta = (path: string, m: Any) => {
    try { new ObjectMeta(m).validate(); } catch (e) { out.push(`${where}: ${path}: ${(e as Error).message}`); }
  };
  only('', doc, ['apiVersion', 'kind', 'metadata', 'spec']);
  meta('metadata', doc.metadata);
  const kind = `${doc.apiVersion}/${doc.kind}`;
  if (kind === 'v1/Namespace') {
    if (doc.spec !== undefined) out.push(`${where}: a Namespace needs no spec`);
  } else if (kind === 'apps/v1/Deployment') {
    const s = doc.spec;
    only('spec', s, ['replicas', 'selector', 'template']);
    try { new LabelSelector(s.selector).validate(); } catch (e) { out.push(`${where}: spec.selector: ${(e as Error).message}`); }
    if (!s.selector?.matchLabels) out.push(`${where}: spec.selector.matchLabels is required here`);
    meta('spec.template.metadata', s.template?.metadata);
    only('spec.template.spec', s.template?.spec, ['containers']);
    const containers = s.template?.spec?.containers;
    if (!Array.isArray(containers) || containers.length === 0) out.push(`${where}: no containers`);
    (containers ?? []).forEach((c: Any, i: number) => {
      const p = `spec.template.spec.containers[${i}]`;
      only(p, c, ['name', 'image', 'args', 'command', 'ports']);
      if (typeof c.name !== 'string' || typeof c.image !== 'string') out.push(`${where}: ${p}: name and image are strings`);
      for (const list of ['args', 'command']) {
        if (c[list] !== undefined && !(Array.isArray(c[list]) && c[list].every((a: unknown) => typeof a === 'string'))) {
          out.push(`${where}: ${p}.${list}: expected a list of strings`);
        }
      }
      (c.ports ?? []).forEach((cp: Any, j: number) => { only(`${p}.ports[${j}]`, cp, ['name', 'containerPort']); port(`${p}.ports[${j}].containerPort`, cp.containerPort); });
    });
  } else if (kind === 'v1/Service') {
    only('spec', doc.spec, ['selector', 'ports']);
    (doc.spec?.ports ?? []).forEach((sp: Any, j: number) => {
      only(`spec.ports[${j}]`, sp, ['name', 'appProtocol', 'port', 'targetPort']);
      port(`spec.ports[${j}].port`, sp.port);
      if (typeof sp.targetPort !== 'string') port(`spec.ports[${j}].targetPort`, sp.targetPort);
      // Istio picks the protocol from the port name or appProtocol: the filter needs HTTP.
      if (sp.appProtocol !== 'http' && !/^http(-|$)/.test(sp.name ?? '')) out.push(`${where}: spec.ports[${j}]: not declared HTTP`);
    });
  } else {
    out.push(`${where}: ${kind} is a kind this test knows`);
  }
  return out;
}

/** Istio's outbound route config for `port` as the client's sidecar gets it (same namespace). */
export function sidecarVirtualHosts(services: Any[], port: number): Any[] {
  const vhosts = services.filter((s) => s.spec.ports.some((p: Any) => p.port === port)).map((s) => {
    const { name, namespace } = s.metadata;
    const hosts = [`${name}.${namespace}.svc.cluster.local`, `${name}.${namespace}.svc`, `${name}.${namespace}`, name];
    return { domains: hosts.flatMap((h) => [h, `${h}:${port}`]), routes: [{ route: { cluster: `outbound|${port}||${name}.${namespace}.svc.cluster.local` } }] };
  });
  return [...vhosts, { domains: ['*'], routes: [{ route: { cluster: 'PassthroughCluster' } }] }];
}
