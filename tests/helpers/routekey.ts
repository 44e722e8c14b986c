// Loading the built filter through host/ the way Envoy does, for the filter's host-level tests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { startPlugin } from '../../host/lib/plugin.ts';
import type { HeaderList, Plugin, PluginOptions } from '../../host/lib/api.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WASM = path.join(ROOT, 'build/routekey.wasm');

export function builtWasm(): Uint8Array<ArrayBuffer> {
  if (!fs.existsSync(WASM)) throw new Error(`${WASM} is missing: run npm run build first (npm test does)`);
  return new Uint8Array(fs.readFileSync(WASM));
}

export async function startRoutekey(configuration: string | object, options: Partial<PluginOptions> = {}): Promise<Plugin> {
  const text = typeof configuration === 'string' ? configuration : JSON.stringify(configuration);
  return startPlugin({ wasm: builtWasm(), rootId: 'routekey', configuration: text, workers: 1, ...options });
}

/** A start function for one test file: every plugin it starts is closed after the file's tests. */
export function startsClosedAfterTests(): (configuration: string | object, options?: Partial<PluginOptions>) => Promise<Plugin> {
  const plugins: Plugin[] = [];
  after(async () => { await Promise.all(plugins.map((p) => p.close())); });
  return async (configuration, options = {}) => {
    const plugin = await startRoutekey(configuration, options);
    plugins.push(plugin);
    return plugin;
  };
}

/** Runs one request through a new stream and returns what the filter left. Fails the test if
 *  the filter made a host call Envoy would refuse (wrong phase, read past a buffer, ...). */
export function request(plugin: Plugin, headers: HeaderList, responseHeaders: HeaderList = [[':status', '200']]) {
  const stream = plugin.createStream();
  const req = stream.onRequestHeaders(headers, true);
  const resp = stream.onResponseHeaders(responseHeaders, true);
  stream.complete();
  assert.deepEqual(plugin.violations(), [], 'host calls Envoy would refuse');
  return { req, resp, stream };
}

export function header(list: HeaderList, name: string): string | undefined {
  return list.find(([k]) => k === name)?.[1];
}

export function all(list: HeaderList, name: string): string[] {
  return list.filter(([k]) => k === name).map(([, v]) => v);
}

/** A counter's value once the VMs' batched counts are flushed (decision counters reach Envoy on
 *  the tick: every armed tick is fired first). */
export function counter(plugin: Plugin, name: string): number | undefined {
  plugin.fireTicks();
  return plugin.metrics().find((m) => m.name === `wasmcustom.${name}`)?.value;
}
