// `routekey validate FILE...`: checks filter configurations with the filter's own parser.
//
// Each FILE (JSON or YAML, one or several documents) may hold:
//   - a configuration: an object with `key`, `routes`, `rewrites` or `default` (YAML is converted
//     to JSON; a JSON file goes to the filter byte for byte),
//   - a rules document, as a rules server serves it (an object with `version` and no `key`):
//     fetched by the filter from a stand-in rules server (checkRulesDocument),
//   - an Envoy bootstrap: every envoy.filters.http.wasm filter's configuration,
//   - Kubernetes objects: every Istio WasmPlugin's spec.pluginConfig (other kinds are skipped).
// Every configuration found is loaded into build/routekey.wasm through the host library, exactly
// as Envoy's canary VM would; a refusal prints the filter's own log line (which names the field).
//
//   FILE: ok                                  all configurations in FILE accepted
//   FILE: <where>: <the filter's error line>  one line per problem (stderr); exit code 1
//   FILE: skipped (no routekey configuration: <what FILE holds>)
//                                             nothing to check in FILE (e.g. a ConfigMap); not a
//                                             failure, unless no FILE at all held a configuration
//   FILE: <where>: warning: route 'dev' sends to 'dev.demo', …
//                                             an accepted configuration of an Envoy bootstrap (or
//                                             one checked with --bootstrap FILE) has a destination
//                                             no virtual host of the listener's route configuration
//                                             matches: Envoy would answer 404 right after the
//                                             decision header said the route was taken. A warning
//                                             (stderr, exit code unchanged) unless --strict.

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { LogEntry, Plugin, PluginOptions } from '../lib/index.ts';
import { imageReferenceProblems } from './image-ref.ts';
import { decodeAnyConfiguration, WASM_FILTER_TYPE } from '../runner/wasm-config.ts';

/** The root id the module registers (assembly/index.ts); Envoy root_id / Istio pluginName. */
export const ROOT_ID = 'routekey';
/** build/routekey.wasm of this checkout, wherever the command runs from. */
export const DEFAULT_WASM = fileURLToPath(new URL('../../build/routekey.wasm', import.meta.url));


/** One configuration found in a file. */
export interface FoundConfiguration {
  /** Where it sits in the file ('' when the file is the configuration itself). */
  where: string;
  /** The bytes the filter receives in proxy_on_configure. */
  configuration: string | Uint8Array;
  /** Problems found around the configuration (e.g. a root id the module does not register). */
  problems: string[];
  /** 'rules': a rules document (checked with checkRulesDocument); absent: a configuration. */
  kind?: 'rules';
  /** A WasmPlugin's image reference problems (placeholders, a bad sha256): refused unless the
   *  file is checked as a template (--allow-placeholders). */
  imageProblems?: string[];
}

/** Thrown when a file cannot be read as any of the accepted shapes. */
export class UnreadableFileError extends Error {}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a file holds: the configurations to check, and what the documents without one are. */
export interface FileContents {
  configurations: FoundConfiguration[];
  /** One description per document that holds no routekey configuration (e.g. "ConfigMap"). */
  skipped: string[];
}

/** The top-level fields that make a bare document a routekey configuration (either form). */
const CONFIGURATION_FIELDS = ['key', 'routes', 'rewrites', 'default'];

/** Finds the filter configurations in a file's text. Pure: no filter is run. */
export function findConfigurations(fileName: string, text: string): FoundConfiguration[] {
  return scanFile(fileName, text).configurations;
}

/**
 * Reads a file's text as JSON or YAML and sorts its documents into configurations to check and
 * documents that hold none. Pure: no filter is run. Throws UnreadableFileError on invalid YAML.
 */
export function scanFile(fileName: string, text: string): FileContents {
  const trimmed = text.trimStart();
  if (trimmed === '') return { configurations: [], skipped: ['empty file'] };
  if (fileName.endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      // Let the filter's parser report the JSON error with its line and column.
      return { configurations: [{ where: '', configuration: text, problems: [] }], skipped: [] };
    }
    const sorted = fromDocument(doc, '');
    // A plain configuration goes in byte for byte, so duplicate keys and number spelling
    // ("1.50") reach the parser exactly as written.
    if (sorted === 'configuration') return { configurations: [{ where: '', configuration: text, problems: [] }], skipped: [] };
    if (sorted === 'rules') return { configurations: [{ where: '', configuration: text, problems: [], kind: 'rules' }], skipped: [] };
    return sorted;
  }

  const docs = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs)) return { configurations: [], skipped: ['empty file'] }; // an empty stream
  const out: FileContents = { configurations: [], skipped: [] };
  docs.forEach((doc, i) => {
    const where = docs.length > 1 ? `document ${i + 1}` : '';
    if (doc.errors.length > 0) {
      throw new UnreadableFileError(`${where ? where + ': ' : ''}invalid YAML: ${doc.errors[0].message}`);
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return; // an empty document (e.g. after a trailing ---)
    const sorted = fromDocument(value, where);
    if (sorted === 'configuration') {
      out.configurations.push({ where, configuration: JSON.stringify(value), problems: [] });
    } else if (sorted === 'rules') {
      out.configurations.push({ where, configuration: JSON.stringify(value), problems: [], kind: 'rules' });
    } else {
      out.configurations.push(...sorted.configurations);
      out.skipped.push(...sorted.skipped);
    }
  });
  if (out.configurations.length === 0 && out.skipped.length === 0) out.skipped.push('empty file');
  return out;
}

/**
 * An Envoy bootstrap or a Kubernetes object yields its routekey configurations (possibly none,
 * then it says what it is); a bare object with a configuration's fields is itself a
 * configuration ('configuration'); anything else holds none.
 */
function fromDocument(doc: unknown, where: string): FileContents | 'configuration' | 'rules' {
  const none = (what: string): FileContents => ({ configurations: [], skipped: [what] });
  if (!isObject(doc)) return none(Array.isArray(doc) ? 'a list, not an object' : `a ${doc === null ? 'null' : typeof doc}, not an object`);
  const at = (path: string) => (where ? `${where}: ${path}` : path);
  if (typeof doc.apiVersion === 'string' && typeof doc.kind === 'string') {
    if (doc.kind === 'WasmPlugin' && doc.apiVersion.startsWith('extensions.istio.io/')) {
      return { configurations: [fromWasmPlugin(doc, at)], skipped: [] };
    }
    if (doc.kind === 'List' && Array.isArray(doc.items)) {
      const out: FileContents = { configurations: [], skipped: [] };
      doc.items.forEach((item, i) => {
        const sorted = fromDocument(item, at(`items[${i}]`));
        if (typeof sorted === 'string') out.skipped.push('a List item that is not a Kubernetes object');
        else {
          out.configurations.push(...sorted.configurations);
          out.skipped.push(...sorted.skipped);
        }
      });
      return out.configurations.length > 0 || out.skipped.length > 0 ? out : none('an empty List');
    }
    return none(doc.kind);
  }
  if ('static_resources' in doc || 'dynamic_resources' in doc || 'admin' in doc) {
    const configurations: FoundConfiguration[] = [];
    walk(doc, '', (node, path) => {
      if (node['@type'] === WASM_FILTER_TYPE) configurations.push(fromWasmFilter(node, path, at));
    });
    return configurations.length > 0 ? { configurations, skipped: [] } : none('an Envoy bootstrap without envoy.filters.http.wasm');
  }
  if ('version' in doc && !('key' in doc)) return 'rules';
  if (CONFIGURATION_FIELDS.some((f) => f in doc)) return 'configuration';
  const fields = Object.keys(doc);
  if (fields.length === 0) return none('an empty object');
  return none(`a document without key, routes, rewrites or default (top level: ${fields.slice(0, 4).join(', ')}${fields.length > 4 ? ', …' : ''})`);
}

function fromWasmPlugin(doc: JsonObject, at: (path: string) => string): FoundConfiguration {
  const spec = isObject(doc.spec) ? doc.spec : {};
  const name = isObject(doc.metadata) && typeof doc.metadata.name === 'string' ? doc.metadata.name : '?';
  const label = (path: string) => at(`WasmPlugin ${name} ${path}`);
  const problems: string[] = [];
  if (spec.pluginName !== ROOT_ID) {
    problems.push(`${label('spec.pluginName')}: expected "${ROOT_ID}" (the module's root id), got ${JSON.stringify(spec.pluginName ?? null)}`);
  }
  // Istio serialises the pluginConfig Struct to JSON and hands it over in a StringValue.
  const configuration = spec.pluginConfig === undefined ? '' : JSON.stringify(spec.pluginConfig);
  const imageProblems = imageReferenceProblems(spec, at(`WasmPlugin ${name}`));
  return { where: label('spec.pluginConfig'), configuration, problems, imageProblems };
}

function fromWasmFilter(node: JsonObject, path: string, at: (path: string) => string): FoundConfiguration {
  const config = isObject(node.config) ? node.config : {};
  const problems: string[] = [];
  if (config.root_id !== ROOT_ID) {
    problems.push(`${at(`${path}.config.root_id`)}: expected "${ROOT_ID}" (the module's root id), got ${JSON.stringify(config.root_id ?? null)}`);
  }
  const where = at(`${path}.config.configuration`);
  const any = config.configuration;
  if (any === undefined) return { where, configuration: '', problems };
  if (!isObject(any)) {
    return { where, configuration: '', problems: [...problems, `${where}: expected a google.protobuf.Any`] };
  }
  // Envoy hands the filter a StringValue/BytesValue unwrapped and any other Any (a Struct too)
  // as its protobuf encoding: decode it the way the runner does, and say why a Struct fails.
  const decoded = decodeAnyConfiguration(any);
  if (!decoded.ok) {
    return { where, configuration: '', problems: [...problems, `${where}.${decoded.field}: ${decoded.problem}`] };
  }
  if (any['@type'] === 'type.googleapis.com/google.protobuf.Struct') {
    problems.push(`${where}: a google.protobuf.Struct reaches the filter as protobuf bytes, not JSON: ` +
      'use a google.protobuf.StringValue holding the JSON');
  }
  return { where, configuration: decoded.value, problems };
}

/** Visits every object in a JSON tree with its dotted/indexed path. */
function walk(node: Json, path: string, visit: (node: JsonObject, path: string) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
  } else if (isObject(node)) {
    visit(node, path);
    for (const [key, value] of Object.entries(node)) walk(value, path ? `${path}.${key}` : key, visit);
  }
}

type StartPlugin = (options: PluginOptions) => Promise<Plugin>;

/**
 * Loads one configuration into the module (canary only) and returns the filter's refusal lines;
 * an empty list means accepted.
 */
export async function checkConfiguration(configuration: string | Uint8Array, wasm: Uint8Array | string = DEFAULT_WASM): Promise<string[]> {
  const { startPlugin } = (await import('../lib/index.ts')) as { startPlugin: StartPlugin };
  let plugin: Plugin | undefined;
  try {
    plugin = await startPlugin({ wasm, rootId: ROOT_ID, configuration, workers: 0 });
    return [];
  } catch (err) {
    if (err instanceof Error && err.name === 'ConfigRejectedError') {
      const logs: LogEntry[] = (err as Error & { logs?: LogEntry[] }).logs ?? [];
      const lines = logs.filter((l) => l.level === 'critical' || l.level === 'error').map((l) => l.message);
      return lines.length > 0 ? lines : ['configuration refused (the filter logged no reason)'];
    }
    return [`the filter failed to start: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    await plugin?.close();
  }
}

/** The rules service the stand-in configuration of checkRulesDocument names (any cluster is known in manual mode). */
const STAND_IN = {
  key: 'x-routekey-validate',
  rulesService: { cluster: 'routekey-validate', authority: 'rules.validate', path: '/', maxBytes: 67108864 },
};

/**
 * Checks a rules document with the filter itself: one worker VM with a stand-in rules service
 * fetches it (a manual callout answered with the document as a 200) and either swaps it in or
 * refuses it with its one warn line; that line's reason is returned. An empty list: accepted.
 */
export async function checkRulesDocument(document: string | Uint8Array, wasm: Uint8Array | string = DEFAULT_WASM): Promise<string[]> {
  const { startPlugin } = (await import('../lib/index.ts')) as { startPlugin: StartPlugin };
  let now = 0;
  let plugin: Plugin | undefined;
  try {
    plugin = await startPlugin({
      wasm, rootId: ROOT_ID, configuration: JSON.stringify(STAND_IN), workers: 1, callouts: 'manual', clock: () => now,
      logLevel: 'info', recordHostCalls: false,
    });
    for (let i = 0; i < 8 && plugin.pendingCallouts().length === 0; i++) {
      now += 250;
      plugin.tick();
    }
    const [callout] = plugin.pendingCallouts();
    if (!callout) return ['the filter made no fetch (is the module older than rulesService?)'];
    const delivery = plugin.deliverCallout(callout.token, { status: 200, body: document }, callout.vm);
    if (delivery.failure) return [`the filter failed: ${delivery.failure}`];
    const refused = delivery.logs.find((l) => l.level === 'warn' && l.message.includes('rules fetch failed'));
    if (refused) {
      const m = /: invalid document: (.*); keeping /.exec(refused.message);
      return [m ? m[1]! : refused.message];
    }
    if (!delivery.logs.some((l) => /rules version '.*' fetched/.test(l.message))) return ['the filter did not take the document'];
    return [];
  } catch (err) {
    return [`the filter failed to start: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    await plugin?.close();
  }
}
