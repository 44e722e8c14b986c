// Applies envoy/local.yaml (addresses, ports, .wasm path) to envoy/envoy.yaml, for running a real
// `envoy` binary outside Docker:
//   node --import tsx envoy/overlay.ts envoy/envoy.yaml envoy/local.yaml > /tmp/envoy-local.yaml
// The local runner (host/cli.ts run --overlay) reads the same overlay file itself.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export interface Address { address: string; port: number }
export interface Overlay {
  listener?: Address;
  admin?: Address;
  clusters?: Record<string, Address>;
  wasm?: { filename: string };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Bootstrap = any;

/** Returns a copy of the bootstrap with the overlay applied. Relative wasm paths resolve against `root`. */
export function applyOverlay(bootstrap: Bootstrap, overlay: Overlay, root: string): Bootstrap {
  const out = structuredClone(bootstrap);
  const setSocket = (holder: Bootstrap, a: Address) => {
    holder.address = { socket_address: { address: a.address, port_value: a.port } };
  };
  if (overlay.listener) {
    const listeners = out.static_resources?.listeners ?? [];
    if (listeners.length !== 1) throw new Error(`overlay listener: expected exactly one listener, found ${listeners.length}`);
    setSocket(listeners[0], overlay.listener);
  }
  if (overlay.admin) setSocket(out.admin, overlay.admin);
  for (const [name, a] of Object.entries(overlay.clusters ?? {})) {
    const cluster = (out.static_resources?.clusters ?? []).find((c: Bootstrap) => c.name === name);
    if (!cluster) throw new Error(`overlay clusters.${name}: no such cluster in the bootstrap`);
    cluster.type = 'STATIC';
    cluster.load_assignment = {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: a.address, port_value: a.port } } } }] }],
    };
  }
  if (overlay.wasm) {
    const filename = resolve(root, overlay.wasm.filename);
    let n = 0;
    visit(out, (node) => {
      if (node?.['@type'] === 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm') {
        node.config.vm_config.code = { local: { filename } };
        n++;
      }
    });
    if (n === 0) throw new Error('overlay wasm: no envoy.filters.http.wasm filter in the bootstrap');
  }
  return out;
}

function visit(node: Bootstrap, fn: (node: Bootstrap) => void): void {
  if (Array.isArray(node)) node.forEach((n) => visit(n, fn));
  else if (node && typeof node === 'object') {
    fn(node);
    Object.values(node).forEach((n) => visit(n, fn));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [config, overlay] = process.argv.slice(2);
  if (!config || !overlay) {
    console.error('usage: overlay.ts BOOTSTRAP.yaml OVERLAY.yaml  (prints the adjusted bootstrap)');
    process.exit(2);
  }
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const out = applyOverlay(parse(readFileSync(config, 'utf8')), parse(readFileSync(overlay, 'utf8')), root);
  process.stdout.write(stringify(out));
}
