// Applies envoy/local.yaml (addresses, ports, .wasm path) to envoy/envoy.yaml, for running a real
// `envoy` binary outside Docker:
//   node --import tsx host/app/overlay.ts envoy/envoy.yaml envoy/local.yaml > /tmp/envoy-local.yaml
// The overlay itself is host/runner/overlay.ts: the local runner (host/app/cli.ts run --overlay)
// applies the very same code, so Envoy and the runner serve the same configuration.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { applyOverlay, readOverlay } from '../runner/overlay.ts';

export { applyOverlay, readOverlay, type Address, type Overlay } from '../runner/overlay.ts';

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [config, overlay] = process.argv.slice(2);
  if (!config || !overlay) {
    console.error('usage: overlay.ts BOOTSTRAP.yaml OVERLAY.yaml  (prints the adjusted bootstrap)');
    process.exit(2);
  }
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  try {
    const out = applyOverlay(parse(readFileSync(config, 'utf8')), readOverlay(parse(readFileSync(overlay, 'utf8'))), root,
      (warning) => console.error(`overlay.ts: warning: ${warning}`));
    process.stdout.write(stringify(out));
  } catch (e) {
    console.error(`overlay.ts: ${(e as Error).message}`);
    process.exit(1);
  }
}
