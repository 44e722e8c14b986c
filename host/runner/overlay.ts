// The overlay: a small document that moves a bootstrap's addresses for a run on this machine
// (envoy/local.yaml). One implementation for every consumer: the local runner applies it before
// reading the bootstrap, and host/app/verify.ts and the host/app/overlay.ts command write the adjusted
// bootstrap for a real `envoy` binary, so both serve exactly the same configuration.
//
//   listener?: {address?, port?}      the first listener's socket address (missing parts kept)
//   admin?:    {address?, port?}      the admin socket address (created when the bootstrap has none)
//   clusters?: {NAME: {address, port}} one STATIC (IP) / STRICT_DNS (name) endpoint for the cluster
//   wasm?:     {filename}             every wasm filter loads this file (relative to `root`)

import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { BootstrapError, describe, type Json } from './fields.ts';
import { isWasmFilterEntry } from './wasm-config.ts';

export interface Address {
  address: string;
  port: number;
}

export interface Overlay {
  listener?: Partial<Address>;
  admin?: Partial<Address>;
  clusters?: Record<string, Address>;
  wasm?: { filename: string };
}

/** Envoy's admin address when the bootstrap gives none and the overlay only part of one. */
const DEFAULT_ADMIN: Address = { address: '127.0.0.1', port: 9901 };

type Doc = Record<string, any>;

/** `{socket_address: {…}}` with the overlay's parts over the existing ones. */
function socketAddress(existing: Doc | undefined, over: Partial<Address>, fallback: Partial<Address>, path: string): Doc {
  const sa = existing?.socket_address ?? {};
  const address = over.address ?? sa.address ?? fallback.address;
  const port = over.port ?? sa.port_value ?? fallback.port;
  if (address === undefined || port === undefined) {
    throw new BootstrapError(`overlay ${path}: the bootstrap has no socket address to complete; give both address and port`);
  }
  return { socket_address: { ...sa, address, port_value: port } };
}

/**
 * A copy of the bootstrap document with the overlay applied; the original is not touched.
 * Relative wasm filenames resolve against `root`. `warn` hears about parts that were applied
 * with a caveat (several listeners); mistakes (an unknown cluster, no wasm filter) throw.
 */
export function applyOverlay(doc: Json, overlay: Overlay, root: string, warn: (message: string) => void = () => {}): Doc {
  const out: Doc = structuredClone(doc ?? {}) as Doc;
  if (overlay.listener) {
    const listeners: Doc[] = out.static_resources?.listeners ?? [];
    if (listeners.length === 0) throw new BootstrapError('overlay listener: the bootstrap has no listener');
    if (listeners.length > 1) warn(`overlay listener: applied to the first listener only (${listeners[0]!.name ?? 'unnamed'})`);
    listeners[0]!.address = socketAddress(listeners[0]!.address, overlay.listener, {}, 'listener');
  }
  if (overlay.admin) {
    out.admin = { ...(out.admin ?? {}) };
    out.admin.address = socketAddress(out.admin.address, overlay.admin, DEFAULT_ADMIN, 'admin');
  }
  for (const [name, a] of Object.entries(overlay.clusters ?? {})) {
    const cluster = (out.static_resources?.clusters ?? []).find((c: Doc) => c?.name === name);
    if (!cluster) throw new BootstrapError(`overlay clusters.${name}: no such cluster in the bootstrap`);
    // Envoy's STATIC clusters take IP addresses only; a name needs DNS.
    cluster.type = isIP(a.address) ? 'STATIC' : 'STRICT_DNS';
    delete cluster.hosts;
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: a.address, port_value: a.port } } } }] }],
    };
  }
  if (overlay.wasm) {
    const filename = resolve(root, overlay.wasm.filename);
    let n = 0;
    visit(out, (node) => {
      if (!isWasmFilterEntry(node)) return;
      const config = (node.typed_config ??= {}).config ??= {};
      (config.vm_config ??= {}).code = { local: { filename } };
      n++;
    });
    if (n === 0) throw new BootstrapError('overlay wasm: no envoy.filters.http.wasm filter in the bootstrap');
  }
  return out;
}

function visit(node: Json, fn: (node: Doc) => void): void {
  if (Array.isArray(node)) node.forEach((n) => visit(n, fn));
  else if (node !== null && typeof node === 'object') {
    fn(node as Doc);
    Object.values(node).forEach((n) => visit(n, fn));
  }
}

/** Checks an overlay document's shape; paths are reported as `overlay <path>`. */
export function readOverlay(doc: Json): Overlay {
  if (doc === null || doc === undefined) return {};
  const fail = (path: string, what: string, got: Json): never => {
    throw new BootstrapError(`overlay ${path}: expected ${what}, got ${describe(got)}`);
  };
  const isObj = (v: Json) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(doc)) fail('', 'an object', doc);
  const o = doc as Record<string, Json>;
  const known = ['listener', 'admin', 'clusters', 'wasm'];
  for (const k of Object.keys(o)) {
    if (!known.includes(k)) throw new BootstrapError(`overlay ${k}: unknown field (expected one of ${known.join(', ')})`);
  }
  const addr = (path: string, v: Json, required: boolean) => {
    if (!isObj(v)) fail(path, 'an object with address and port', v);
    const a = v as Record<string, Json>;
    for (const k of Object.keys(a)) {
      if (k !== 'address' && k !== 'port') throw new BootstrapError(`overlay ${path}.${k}: unknown field (expected address, port)`);
    }
    if ((required || a.address !== undefined) && typeof a.address !== 'string') fail(`${path}.address`, 'a string', a.address);
    if (required || a.port !== undefined) {
      if (typeof a.port !== 'number' || !Number.isInteger(a.port) || a.port < 0 || a.port > 65535) {
        fail(`${path}.port`, 'a port 0-65535', a.port);
      }
    }
    const out: { address?: string; port?: number } = {};
    if (a.address !== undefined) out.address = a.address as string;
    if (a.port !== undefined) out.port = a.port as number;
    return out;
  };
  const out: Overlay = {};
  if (o.listener !== undefined) out.listener = addr('listener', o.listener, false);
  if (o.admin !== undefined) out.admin = addr('admin', o.admin, false);
  if (o.clusters !== undefined) {
    if (!isObj(o.clusters)) fail('clusters', 'an object of NAME: {address, port}', o.clusters);
    out.clusters = {};
    for (const [name, v] of Object.entries(o.clusters as Record<string, Json>)) {
      out.clusters[name] = addr(`clusters.${name}`, v, true) as Address;
    }
  }
  if (o.wasm !== undefined) {
    const w = o.wasm as Record<string, Json>;
    if (!isObj(w) || typeof w.filename !== 'string') fail('wasm', 'an object with filename', o.wasm);
    out.wasm = { filename: w.filename as string };
  }
  return out;
}
