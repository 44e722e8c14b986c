// Reads the subset of an Envoy bootstrap YAML that the local runner can honour, after applying an
// overlay (host/runner/overlay.ts) that moves addresses for a local run. Pure apart from reading
// the files: text in, model (host/runner/model.ts) out.
//
// Supported (everything else is either warned about, one line per field, when ignoring it changes
// nothing about where a request goes, or refused with the field's path when it would):
//   admin.address.socket_address {address, port_value}
//   stats_config.stats_tags[] {tag_name, regex}, stats_config.use_all_default_tags
//   static_resources.listeners[]: address.socket_address, one filter_chain without match or TLS,
//     envoy.filters.network.http_connection_manager with an inline route_config:
//       virtual_hosts[] {name, domains, routes[] {match {prefix | path | safe_regex, case_sensitive},
//                        route {cluster | cluster_header, timeout, prefix_rewrite, host_rewrite_literal}
//                        | direct_response {status, body.inline_string}}}
//       route_config.ignore_port_in_host_matching, strip_any_host_port, server_name,
//       generate_request_id, access_log (the first one, to stdout, in its text format or Envoy's
//       default; host/runner/access-log.ts lists the operators)
//       http_filters[]: envoy.filters.http.wasm (config: name, root_id, configuration,
//         vm_config {vm_id, configuration, code.local.filename | inline_bytes}, fail_open,
//         failure_policy), then envoy.filters.http.router last.
//   static_resources.clusters[] {name, type STATIC | STRICT_DNS | LOGICAL_DNS, connect_timeout,
//     load_assignment.endpoints[].lb_endpoints[].endpoint.address.socket_address,
//     circuit_breakers.thresholds[] {priority DEFAULT, max_connections, max_pending_requests,
//     max_requests} (host/runner/circuit-breakers.ts)}

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FailurePolicy } from '../lib/index.ts';
import { DEFAULT_ACCESS_LOG_FORMAT, unknownOperators } from './access-log.ts';
import { BootstrapError, Fields, type Json, Reader } from './fields.ts';
import type { Bootstrap, Cluster, Listener, SocketAddress, StatsTag, WasmFilter } from './model.ts';
import { applyOverlay, type Overlay, readOverlay } from './overlay.ts';
import { readCluster, readRouteConfig, readSocketAddress } from './resources.ts';
import { decodeAnyConfiguration, isWasmFilterEntry } from './wasm-config.ts';

export type * from './model.ts';
export { BootstrapError } from './fields.ts';
export { applyOverlay, readOverlay, type Overlay } from './overlay.ts';

const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** HTTP filters that only observe or compress: skipping them changes nothing about routing. */
const IGNORABLE_HTTP_FILTERS = new Set([
  'envoy.filters.http.grpc_stats',
  'envoy.filters.http.buffer',
  'envoy.filters.http.compressor',
  'envoy.filters.http.decompressor',
  'envoy.filters.http.health_check',
]);

/** A `configuration` Any as the bytes Envoy hands the filter (wasm-config.ts). */
function anyValue(f: Fields, key: string): string | Uint8Array {
  const decoded = decodeAnyConfiguration(f.raw(key));
  if (!decoded.ok) throw new BootstrapError(`${f.at(key)}.${decoded.field}: ${decoded.problem}`);
  return decoded.value;
}

function readWasmFilter(tc: Fields, r: Reader, baseDir: string): WasmFilter {
  tc.accept('@type');
  const cfg = tc.obj('config');
  const rootId = cfg.optStr('root_id') ?? '';
  const name = cfg.optStr('name') ?? rootId;
  const configuration = anyValue(cfg, 'configuration');
  let failurePolicy: FailurePolicy = cfg.bool('fail_open', false) ? 'fail_open' : 'fail_closed';
  const fp = cfg.optStr('failure_policy');
  if (fp !== undefined) {
    const map: Record<string, FailurePolicy | undefined> = {
      UNSPECIFIED: undefined, FAIL_CLOSED: 'fail_closed', FAIL_OPEN: 'fail_open', FAIL_RELOAD: 'fail_reload',
    };
    if (!(fp in map)) throw new BootstrapError(`${cfg.at('failure_policy')}: expected FAIL_CLOSED, FAIL_OPEN or FAIL_RELOAD, got ${JSON.stringify(fp)}`);
    failurePolicy = map[fp] ?? failurePolicy;
  }
  const vm = cfg.obj('vm_config');
  const vmId = vm.optStr('vm_id') ?? '';
  const runtime = vm.optStr('runtime');
  if (runtime !== undefined && !/^envoy\.wasm\.runtime\.(v8|wamr|wasmtime|wavm)$/.test(runtime)) {
    throw new BootstrapError(`${vm.at('runtime')}: runtime ${runtime} is not supported (the local runner runs Wasm modules)`);
  }
  const vmConfiguration = anyValue(vm, 'configuration');
  vm.accept('allow_precompiled', 'nack_on_code_cache_miss');
  const code = vm.obj('code');
  code.refuse('remote', 'remote Wasm code is not supported by the local runner (use local.filename)');
  const local = code.obj('local');
  let filename: string | undefined;
  let inlineCode: Uint8Array | undefined;
  if (local.has('filename')) {
    const f = local.str('filename');
    filename = isAbsolute(f) ? f : resolve(baseDir, f);
  } else if (local.has('inline_bytes')) {
    inlineCode = Buffer.from(local.str('inline_bytes'), 'base64');
  } else {
    throw new BootstrapError(`${local.path}: expected filename or inline_bytes`);
  }
  local.done();
  code.done();
  vm.done();
  cfg.done();
  tc.done();
  return { name, rootId, vmId, configuration, vmConfiguration, filename, inlineCode, failurePolicy };
}

function filterType(f: Fields): string {
  const tc = f.value.typed_config as Record<string, Json> | undefined;
  return tc && typeof tc['@type'] === 'string' ? (tc['@type'] as string) : '';
}

/** The first access log's text format (Envoy's default when it names none); always to stdout. */
function readAccessLog(tc: Fields, r: Reader): { format: string } | undefined {
  const logs = tc.list('access_log');
  if (logs.length === 0) return undefined;
  if (logs.length > 1) r.warn(tc.at('access_log'), `only the first of ${logs.length} access logs is printed`);
  const entry = Fields.of(logs[0], tc.at('access_log[0]'), r);
  entry.accept('name');
  let format = DEFAULT_ACCESS_LOG_FORMAT;
  const typed = entry.optObj('typed_config');
  if (typed) {
    typed.accept('@type');
    const path = typed.optStr('path');
    if (path !== undefined && path !== '/dev/stdout') r.warn(typed.at('path'), 'ignored: the local runner prints the access log to stdout');
    format = typed.optStr('format') ?? format;
    const lf = typed.optObj('log_format');
    if (lf) {
      format = lf.optStr('text_format') ?? format;
      const source = lf.optObj('text_format_source');
      const inline = source?.optStr('inline_string');
      if (inline !== undefined) format = inline;
      source?.done();
      lf.done();
    }
    typed.done();
  }
  entry.done();
  const unknown = unknownOperators(format);
  if (unknown.length > 0) r.warn(entry.path, `printed as "-" by the local runner: ${unknown.join(', ')}`);
  return { format };
}

function readHcm(tc: Fields, r: Reader, baseDir: string) {
  // Path normalisation settings (envoy/envoy.yaml) are accepted; the local runner routes the path as received.
  tc.accept('@type', 'stat_prefix', 'codec_type', 'normalize_path', 'merge_slashes', 'path_with_escaped_slashes_action');
  const statPrefix = (tc.value.stat_prefix as string | undefined) ?? '';
  const codec = tc.value.codec_type;
  if (codec !== undefined && codec !== 'AUTO' && codec !== 'HTTP1') {
    r.warn(tc.at('codec_type'), `${String(codec)} ignored: the local runner speaks HTTP/1.1`);
  }
  tc.refuse('rds', 'RDS is not supported by the local runner (use an inline route_config)');
  tc.refuse('scoped_routes', 'scoped routes are not supported by the local runner');
  tc.refuse('upgrade_configs', 'upgrades (WebSocket) are not supported by the local runner');
  tc.refuse('strip_matching_host_port', 'not supported by the local runner (use strip_any_host_port)');
  const routeTable = readRouteConfig(tc.obj('route_config'), r);
  const stripAnyHostPort = tc.bool('strip_any_host_port', false);
  const serverName = tc.optStr('server_name') ?? 'envoy';
  const generateRequestId = tc.bool('generate_request_id', true);
  const accessLog = readAccessLog(tc, r);

  const wasmFilters: WasmFilter[] = [];
  const filters = tc.list('http_filters');
  let routerSeen = false;
  filters.forEach((v, i) => {
    const f = Fields.of(v, tc.at(`http_filters[${i}]`), r);
    const name = f.optStr('name') ?? '';
    const type = filterType(f);
    if (routerSeen) throw new BootstrapError(`${f.path}: the router filter must be the last HTTP filter`);
    f.refuse('config_discovery', 'filter config discovery is not supported by the local runner');
    f.accept('disabled', 'is_optional');
    if (f.value.disabled === true) {
      r.warn(f.path, `disabled filter ${name} skipped`);
      f.accept('typed_config');
    } else if (isWasmFilterEntry(v)) {
      wasmFilters.push(readWasmFilter(f.obj('typed_config'), r, baseDir));
    } else if (type === ROUTER_TYPE || (type === '' && name === 'envoy.filters.http.router')) {
      routerSeen = true;
      const rt = f.optObj('typed_config');
      if (rt) {
        rt.accept('@type');
        rt.done();
      }
    } else if (IGNORABLE_HTTP_FILTERS.has(name)) {
      r.warn(f.path, `filter ${name} skipped by the local runner (it does not change routing)`);
      f.accept('typed_config');
    } else {
      throw new BootstrapError(
        `${f.path}: HTTP filter ${name || type || '(unnamed)'} is not supported by the local runner ` +
          `(only envoy.filters.http.wasm and envoy.filters.http.router)`,
      );
    }
    f.done();
  });
  if (!routerSeen) throw new BootstrapError(`${tc.at('http_filters')}: envoy.filters.http.router must be the last HTTP filter`);
  tc.done();
  return { statPrefix, routeTable, wasmFilters, stripAnyHostPort, serverName, generateRequestId, accessLog };
}

function readListener(value: Json, path: string, r: Reader, baseDir: string): Listener {
  const l = Fields.of(value, path, r);
  const name = l.optStr('name') ?? path;
  const address = readSocketAddress(l, 'address');
  l.refuse('udp_listener_config', 'UDP listeners are not supported by the local runner');
  l.refuse('additional_addresses', 'additional addresses are not supported by the local runner');
  l.refuse('default_filter_chain', 'default_filter_chain is not supported by the local runner');
  if (l.list('listener_filters').length) r.warn(l.at('listener_filters'));
  const chains = l.list('filter_chains');
  if (chains.length !== 1) {
    throw new BootstrapError(`${l.at('filter_chains')}: expected exactly one filter chain, got ${chains.length}`);
  }
  const chain = Fields.of(chains[0], l.at('filter_chains[0]'), r);
  chain.refuse('filter_chain_match', 'filter chain matching is not supported by the local runner');
  chain.refuse('transport_socket', 'TLS (transport_socket) is not supported by the local runner');
  chain.accept('name');
  const filters = chain.list('filters');
  let hcm: ReturnType<typeof readHcm> | undefined;
  filters.forEach((v, i) => {
    const f = Fields.of(v, chain.at(`filters[${i}]`), r);
    const fname = f.optStr('name') ?? '';
    const type = filterType(f);
    if (type === HCM_TYPE || (type === '' && fname === 'envoy.filters.network.http_connection_manager')) {
      if (hcm) throw new BootstrapError(`${f.path}: only one http_connection_manager per filter chain`);
      hcm = readHcm(f.obj('typed_config'), r, baseDir);
    } else {
      throw new BootstrapError(
        `${f.path}: network filter ${fname || type || '(unnamed)'} is not supported by the local runner ` +
          `(only envoy.filters.network.http_connection_manager)`,
      );
    }
    f.done();
  });
  if (!hcm) throw new BootstrapError(`${chain.at('filters')}: expected an envoy.filters.network.http_connection_manager`);
  chain.done();
  l.done();
  return { name, address, ...hcm };
}

function readStatsConfig(root: Fields, r: Reader): { statsTags: StatsTag[]; useAllDefaultTags: boolean } {
  const statsTags: StatsTag[] = [];
  let useAllDefaultTags = true;
  const sc = root.optObj('stats_config');
  if (sc) {
    useAllDefaultTags = sc.bool('use_all_default_tags', true);
    sc.list('stats_tags').forEach((v, i) => {
      const t = Fields.of(v, sc.at(`stats_tags[${i}]`), r);
      const name = t.str('tag_name');
      t.refuse('fixed_value', 'fixed-value tags are not supported by the local runner');
      const source = t.str('regex');
      t.done();
      try {
        statsTags.push({ name, regex: new RegExp(source) });
      } catch (e) {
        throw new BootstrapError(`${t.at('regex')}: not a valid regular expression: ${(e as Error).message}`);
      }
    });
    sc.done();
  }
  return { statsTags, useAllDefaultTags };
}

export interface LoadOptions {
  /** Directory that relative wasm filenames in the bootstrap resolve against (default: cwd). */
  baseDir?: string;
  overlay?: Overlay;
  /** Directory that relative paths in the overlay resolve against (default: cwd). */
  overlayDir?: string;
}

/** Turns a parsed bootstrap document (overlay applied first) into the runner's model. Throws BootstrapError. */
export function readBootstrap(doc: Json, opts: LoadOptions = {}): Bootstrap {
  const r = new Reader();
  const baseDir = opts.baseDir ?? process.cwd();
  if (opts.overlay) doc = applyOverlay(doc, opts.overlay, opts.overlayDir ?? process.cwd(), (w) => r.warnings.push(w));
  const root = Fields.of(doc, '', r);
  root.refuse('dynamic_resources', 'xDS (dynamic_resources) is not supported by the local runner');
  const sr = root.obj('static_resources');
  sr.refuse('secrets', 'secrets (TLS) are not supported by the local runner');

  const clusters = new Map<string, Cluster>();
  sr.list('clusters').forEach((v, i) => {
    const c = readCluster(v, sr.at(`clusters[${i}]`), r);
    if (clusters.has(c.name)) throw new BootstrapError(`${sr.at(`clusters[${i}]`)}.name: duplicate cluster "${c.name}"`);
    clusters.set(c.name, c);
  });
  const listeners = sr.list('listeners').map((v, i) => readListener(v, sr.at(`listeners[${i}]`), r, baseDir));
  if (listeners.length === 0) throw new BootstrapError(`${sr.at('listeners')}: expected at least one listener`);
  sr.done();

  let admin: SocketAddress | undefined;
  const a = root.optObj('admin');
  if (a) {
    if (a.has('address')) admin = readSocketAddress(a, 'address');
    a.done();
  }
  const { statsTags, useAllDefaultTags } = readStatsConfig(root, r);
  root.done();

  // Every cluster a route names must exist (Envoy's validate_clusters for static routes).
  for (const l of listeners) {
    for (const vh of l.routeTable.virtualHosts) {
      for (const rt of vh.routes) {
        if (rt.cluster !== undefined && !clusters.has(rt.cluster)) {
          throw new BootstrapError(`${rt.where}.route.cluster: unknown cluster "${rt.cluster}"`);
        }
      }
    }
  }
  return { listeners, clusters, admin, statsTags, useAllDefaultTags, warnings: r.warnings };
}

/**
 * Reads a bootstrap file (and an overlay file) from disk. Relative paths in the overlay resolve
 * against `overlayDir` — the current directory unless given (envoy/local.yaml is written for the
 * repository root, like host/app/overlay.ts reads it).
 */
export function loadBootstrap(file: string, overlayFile?: string, dirs: { overlayDir?: string } = {}): Bootstrap {
  const doc = parseYamlFile(file);
  let overlay: Overlay | undefined;
  if (overlayFile) overlay = readOverlay(parseYamlFile(overlayFile));
  return readBootstrap(doc, { baseDir: process.cwd(), overlay, overlayDir: dirs.overlayDir ?? process.cwd() });
}

export function parseYamlFile(file: string): Json {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BootstrapError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new BootstrapError(`${file}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}
