// Reads the subset of an Envoy bootstrap YAML that the local runner can honour, plus an overlay
// that moves addresses for a local run. Pure apart from reading the files: text in, model out.
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
//       generate_request_id, access_log (printed in Envoy's default format)
//       http_filters[]: envoy.filters.http.wasm (config: name, root_id, configuration,
//         vm_config {vm_id, configuration, code.local.filename | inline_string}, fail_open,
//         failure_policy), then envoy.filters.http.router last.
//   static_resources.clusters[] {name, type STATIC | STRICT_DNS | LOGICAL_DNS, connect_timeout,
//     load_assignment.endpoints[].lb_endpoints[].endpoint.address.socket_address}
//
// Overlay (`--overlay FILE`), relative paths inside it resolved against the current directory:
//   listener?: {address?, port?}   admin?: {address?, port?}
//   clusters?: {NAME: {address, port}}   wasm?: {filename}

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FailurePolicy } from '../api.ts';

export interface SocketAddress {
  address: string;
  /** 0 = pick an ephemeral port (the runner reports the one it got). */
  port: number;
}

export interface Cluster {
  name: string;
  type: 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS';
  endpoints: SocketAddress[];
  connectTimeoutMs: number;
}

export type PathMatch =
  | { kind: 'prefix'; value: string; caseSensitive: boolean }
  | { kind: 'path'; value: string; caseSensitive: boolean }
  | { kind: 'regex'; value: RegExp };

export interface RouteEntry {
  /** `virtual_hosts[0].routes[1]`, for messages. */
  where: string;
  name?: string;
  match: PathMatch;
  /** Exactly one of cluster, clusterHeader, directResponse. */
  cluster?: string;
  clusterHeader?: string;
  directResponse?: { status: number; body: string };
  /** 0 = no timeout. Envoy's default is 15 s. */
  timeoutMs: number;
  prefixRewrite?: string;
  hostRewrite?: string;
}

export interface VirtualHost {
  name: string;
  /** Lower-cased, as Envoy stores them. */
  domains: string[];
  routes: RouteEntry[];
}

export interface RouteTable {
  name: string;
  virtualHosts: VirtualHost[];
  ignorePortInHostMatching: boolean;
}

export interface WasmFilter {
  /** Envoy's config.name (plugin_name). */
  name: string;
  rootId: string;
  vmId: string;
  configuration: string;
  vmConfiguration: string;
  /** Absolute path of the module (after the overlay), or undefined when the code is inline. */
  filename?: string;
  /** The filename exactly as the bootstrap wrote it. */
  bootstrapFilename?: string;
  inlineCode?: Uint8Array;
  failurePolicy: FailurePolicy;
}

export interface Listener {
  name: string;
  address: SocketAddress;
  statPrefix: string;
  routeTable: RouteTable;
  wasmFilters: WasmFilter[];
  stripAnyHostPort: boolean;
  serverName: string;
  generateRequestId: boolean;
  accessLog: boolean;
}

export interface StatsTag {
  name: string;
  regex: RegExp;
}

export interface Bootstrap {
  listeners: Listener[];
  clusters: Map<string, Cluster>;
  admin?: SocketAddress;
  statsTags: StatsTag[];
  useAllDefaultTags: boolean;
  /** One line per ignored field. */
  warnings: string[];
}

export interface Overlay {
  listener?: { address?: string; port?: number };
  admin?: { address?: string; port?: number };
  clusters?: Record<string, { address: string; port: number }>;
  wasm?: { filename: string };
}

/** A bootstrap or overlay the runner cannot honour; the message starts with the field path. */
export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
}

const WASM_FILTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** HTTP filters that only observe or compress: skipping them changes nothing about routing. */
const IGNORABLE_HTTP_FILTERS = new Set([
  'envoy.filters.http.grpc_stats',
  'envoy.filters.http.buffer',
  'envoy.filters.http.compressor',
  'envoy.filters.http.decompressor',
  'envoy.filters.http.health_check',
]);

// ---------------------------------------------------------------------------------------------
// Field walking: every object is read through Fields, which remembers what was consumed, so that
// whatever is left over gets exactly one warning naming its path.

type Json = unknown;

class Reader {
  readonly warnings: string[] = [];
  warn(path: string, what = 'ignored by the local runner') {
    this.warnings.push(`${path}: ${what}`);
  }
}

class Fields {
  private readonly used = new Set<string>();
  constructor(
    readonly value: Record<string, Json>,
    readonly path: string,
    private readonly reader: Reader,
  ) {}

  static of(value: Json, path: string, reader: Reader): Fields {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BootstrapError(`${path}: expected an object, got ${describe(value)}`);
    }
    return new Fields(value as Record<string, Json>, path, reader);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }
  raw(key: string): Json {
    this.used.add(key);
    return this.value[key];
  }
  /** Consumed without comment (names, stat prefixes, type URLs). */
  accept(...keys: string[]) {
    for (const k of keys) this.used.add(k);
  }
  /** Refuse the field if present: the runner cannot honour it. */
  refuse(key: string, why: string) {
    if (this.has(key)) throw new BootstrapError(`${this.at(key)}: ${why}`);
    this.used.add(key);
  }
  obj(key: string): Fields {
    return Fields.of(this.raw(key), this.at(key), this.reader);
  }
  optObj(key: string): Fields | undefined {
    return this.has(key) ? this.obj(key) : (this.used.add(key), undefined);
  }
  list(key: string): Json[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new BootstrapError(`${this.at(key)}: expected a list, got ${describe(v)}`);
    return v;
  }
  str(key: string): string {
    const v = this.raw(key);
    if (typeof v !== 'string') throw new BootstrapError(`${this.at(key)}: expected a string, got ${describe(v)}`);
    return v;
  }
  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : (this.used.add(key), undefined);
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new BootstrapError(`${this.at(key)}: expected true or false, got ${describe(v)}`);
    return v;
  }
  port(key: string): number {
    const v = this.raw(key);
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
      throw new BootstrapError(`${this.at(key)}: expected a port 0-65535, got ${describe(v)}`);
    }
    return n;
  }
  /** Warn once for every key not consumed. */
  done() {
    for (const k of Object.keys(this.value)) {
      if (!this.used.has(k)) this.reader.warn(this.at(k));
    }
  }
}

function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

/** Envoy durations in JSON/YAML form: "0.25s", "15s", "1.5s" (also plain seconds as a number). */
export function parseDuration(v: Json, path: string): number {
  if (typeof v === 'number' && v >= 0) return v * 1000;
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, Json>;
    const s = Number(o.seconds ?? 0), ns = Number(o.nanos ?? 0);
    if (Number.isFinite(s) && Number.isFinite(ns)) return s * 1000 + ns / 1e6;
  }
  throw new BootstrapError(`${path}: expected a duration like "0.25s", got ${describe(v)}`);
}

// ---------------------------------------------------------------------------------------------

function readSocketAddress(parent: Fields, key: string): SocketAddress {
  const address = parent.obj(key);
  address.refuse('pipe', 'unix sockets are not supported by the local runner');
  address.refuse('envoy_internal_address', 'internal addresses are not supported by the local runner');
  const sa = address.obj('socket_address');
  const result = { address: sa.str('address'), port: sa.port('port_value') };
  sa.refuse('named_port', 'named ports are not supported by the local runner');
  if (sa.has('protocol') && sa.raw('protocol') !== 'TCP') {
    throw new BootstrapError(`${sa.at('protocol')}: only TCP is supported`);
  }
  sa.accept('protocol', 'resolver_name', 'ipv4_compat');
  sa.done();
  address.done();
  return result;
}

function readCluster(value: Json, path: string, r: Reader): Cluster {
  const c = Fields.of(value, path, r);
  const name = c.str('name');
  const type = (c.optStr('type') ?? 'STATIC') as Cluster['type'];
  if (!['STATIC', 'STRICT_DNS', 'LOGICAL_DNS'].includes(type)) {
    throw new BootstrapError(`${c.at('type')}: cluster type ${type} is not supported (use STATIC, STRICT_DNS or LOGICAL_DNS)`);
  }
  c.refuse('transport_socket', 'TLS to upstreams is not supported by the local runner');
  c.refuse('transport_socket_matches', 'TLS to upstreams is not supported by the local runner');
  c.refuse('cluster_type', 'custom cluster types are not supported by the local runner');
  c.refuse('hosts', 'the v2 `hosts` field is not supported; use load_assignment');
  c.refuse('eds_cluster_config', 'EDS is not supported by the local runner');
  const connectTimeoutMs = c.has('connect_timeout')
    ? parseDuration(c.raw('connect_timeout'), c.at('connect_timeout'))
    : DEFAULT_CONNECT_TIMEOUT_MS;
  const lb = c.optStr('lb_policy');
  if (lb !== undefined && lb !== 'ROUND_ROBIN') r.warn(c.at('lb_policy'), `${lb} ignored: the local runner uses ROUND_ROBIN`);
  c.accept('dns_lookup_family', 'alt_stat_name');
  const endpoints: SocketAddress[] = [];
  const la = c.optObj('load_assignment');
  if (la) {
    la.accept('cluster_name');
    la.list('endpoints').forEach((e, i) => {
      const locality = Fields.of(e, la.at(`endpoints[${i}]`), r);
      locality.list('lb_endpoints').forEach((lbe, j) => {
        const lbEndpoint = Fields.of(lbe, locality.at(`lb_endpoints[${j}]`), r);
        const endpoint = lbEndpoint.obj('endpoint');
        endpoints.push(readSocketAddress(endpoint, 'address'));
        endpoint.done();
        lbEndpoint.done();
      });
      locality.done();
    });
    la.done();
  }
  c.done();
  return { name, type, endpoints, connectTimeoutMs };
}

function readRoute(value: Json, path: string, r: Reader): RouteEntry {
  const route = Fields.of(value, path, r);
  const name = route.optStr('name');
  const m = route.obj('match');
  const caseSensitive = m.has('case_sensitive') ? m.bool('case_sensitive', true) : true;
  let match: PathMatch | undefined;
  const kinds = ['prefix', 'path', 'safe_regex', 'path_separated_prefix', 'connect_matcher', 'path_match_policy'];
  const present = kinds.filter((k) => m.has(k));
  if (present.length !== 1) {
    throw new BootstrapError(`${m.path}: expected exactly one of prefix, path or safe_regex, got ${present.length ? present.join(', ') : 'none'}`);
  }
  if (m.has('prefix')) match = { kind: 'prefix', value: m.str('prefix'), caseSensitive };
  else if (m.has('path')) match = { kind: 'path', value: m.str('path'), caseSensitive };
  else if (m.has('safe_regex')) {
    const re = m.obj('safe_regex');
    re.accept('google_re2');
    const source = re.str('regex');
    re.done();
    try {
      match = { kind: 'regex', value: new RegExp(`^(?:${source})$`) };
    } catch (e) {
      throw new BootstrapError(`${re.at('regex')}: not a valid regular expression: ${(e as Error).message}`);
    }
  } else {
    throw new BootstrapError(`${m.at(present[0]!)}: not supported by the local runner (use prefix, path or safe_regex)`);
  }
  for (const k of ['headers', 'query_parameters', 'grpc', 'runtime_fraction', 'tls_context', 'dynamic_metadata', 'filter_state']) {
    m.refuse(k, 'route matching on this is not supported by the local runner');
  }
  m.done();

  const entry: RouteEntry = { where: path, name, match, timeoutMs: DEFAULT_ROUTE_TIMEOUT_MS };
  route.refuse('redirect', 'redirect routes are not supported by the local runner');
  route.refuse('filter_action', 'filter_action routes are not supported by the local runner');
  route.refuse('request_headers_to_add', 'header changes by routes are not supported by the local runner');
  route.refuse('request_headers_to_remove', 'header changes by routes are not supported by the local runner');
  route.refuse('typed_per_filter_config', 'per-route filter configuration is not supported by the local runner');
  const direct = route.optObj('direct_response');
  const action = route.optObj('route');
  if ((direct ? 1 : 0) + (action ? 1 : 0) !== 1) {
    throw new BootstrapError(`${path}: expected exactly one of route or direct_response`);
  }
  if (direct) {
    const status = direct.raw('status');
    if (typeof status !== 'number' || status < 200 || status > 599) {
      throw new BootstrapError(`${direct.at('status')}: expected an HTTP status 200-599, got ${describe(status)}`);
    }
    let body = '';
    const b = direct.optObj('body');
    if (b) {
      body = b.str('inline_string');
      b.refuse('filename', 'not supported by the local runner (use inline_string)');
      b.done();
    }
    direct.done();
    entry.directResponse = { status, body };
  }
  if (action) {
    if (action.has('cluster')) entry.cluster = action.str('cluster');
    else if (action.has('cluster_header')) entry.clusterHeader = action.str('cluster_header').toLowerCase();
    else {
      const other = ['weighted_clusters', 'cluster_specifier_plugin', 'inline_cluster_specifier_plugin'].find((k) => action.has(k));
      throw new BootstrapError(
        other ? `${action.at(other)}: not supported by the local runner (use cluster or cluster_header)`
              : `${action.path}: expected cluster or cluster_header`,
      );
    }
    if (action.has('timeout')) entry.timeoutMs = parseDuration(action.raw('timeout'), action.at('timeout'));
    entry.prefixRewrite = action.optStr('prefix_rewrite');
    entry.hostRewrite = action.optStr('host_rewrite_literal');
    for (const k of ['regex_rewrite', 'path_rewrite_policy', 'host_rewrite_header', 'host_rewrite_path_regex', 'auto_host_rewrite']) {
      action.refuse(k, 'this rewrite is not supported by the local runner');
    }
    action.done();
  }
  route.done();
  return entry;
}

function validateDomains(vhosts: VirtualHost[], where: string) {
  const seen = new Map<string, string>();
  for (const vh of vhosts) {
    for (const d of vh.domains) {
      const prev = seen.get(d);
      if (prev !== undefined) {
        throw new BootstrapError(
          `${where}: only unique values for domains are permitted; domain "${d}" is in virtual hosts "${prev}" and "${vh.name}"`,
        );
      }
      seen.set(d, vh.name);
      if (d === '') throw new BootstrapError(`${where}: virtual host "${vh.name}" has an empty domain`);
      if (d !== '*' && d.slice(1, -1).includes('*')) {
        throw new BootstrapError(`${where}: domain "${d}" of virtual host "${vh.name}": a wildcard may only start or end a domain`);
      }
      if (d.length > 1 && d.startsWith('*') && d.endsWith('*')) {
        throw new BootstrapError(`${where}: domain "${d}" of virtual host "${vh.name}": wildcards at both ends are not allowed`);
      }
    }
  }
}

function readRouteConfig(rc: Fields, r: Reader): RouteTable {
  const name = rc.optStr('name') ?? '';
  const ignorePortInHostMatching = rc.bool('ignore_port_in_host_matching', false);
  rc.refuse('request_headers_to_add', 'header changes by the route configuration are not supported by the local runner');
  rc.refuse('request_headers_to_remove', 'header changes by the route configuration are not supported by the local runner');
  rc.refuse('vhds', 'VHDS is not supported by the local runner');
  rc.accept('validate_clusters');
  const virtualHosts = rc.list('virtual_hosts').map((v, i) => {
    const vh = Fields.of(v, rc.at(`virtual_hosts[${i}]`), r);
    const vname = vh.str('name');
    const domains = vh.list('domains').map((d, j) => {
      if (typeof d !== 'string') throw new BootstrapError(`${vh.at(`domains[${j}]`)}: expected a string, got ${describe(d)}`);
      return d.toLowerCase();
    });
    if (domains.length === 0) throw new BootstrapError(`${vh.at('domains')}: expected at least one domain`);
    vh.refuse('require_tls', 'TLS is not supported by the local runner');
    vh.refuse('request_headers_to_add', 'header changes by virtual hosts are not supported by the local runner');
    vh.refuse('request_headers_to_remove', 'header changes by virtual hosts are not supported by the local runner');
    vh.refuse('typed_per_filter_config', 'per-route filter configuration is not supported by the local runner');
    const routes = vh.list('routes').map((rt, j) => readRoute(rt, vh.at(`routes[${j}]`), r));
    vh.done();
    return { name: vname, domains, routes };
  });
  validateDomains(virtualHosts, rc.path);
  rc.done();
  return { name, virtualHosts, ignorePortInHostMatching };
}

function anyValue(f: Fields, key: string): string {
  // An Any in YAML: {"@type": StringValue, value: "..."} or {"@type": Struct, value: {...}}.
  const any = f.optObj(key);
  if (!any) return '';
  const type = any.optStr('@type') ?? '';
  const value = any.raw('value');
  any.done();
  if (type.endsWith('google.protobuf.StringValue') || (type === '' && typeof value === 'string')) {
    if (value === undefined || value === null) return '';
    if (typeof value !== 'string') throw new BootstrapError(`${any.at('value')}: expected a string, got ${describe(value)}`);
    return value;
  }
  if (type.endsWith('google.protobuf.Struct')) return JSON.stringify(value ?? {});
  if (type.endsWith('google.protobuf.BytesValue') && typeof value === 'string') {
    return Buffer.from(value, 'base64').toString('utf8');
  }
  throw new BootstrapError(`${any.at('@type')}: configuration type ${type || '(none)'} is not supported (use google.protobuf.StringValue or Struct)`);
}

function readWasmFilter(tc: Fields, r: Reader, baseDir: string, overlay: Overlay | undefined, overlayDir: string): WasmFilter {
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
  let bootstrapFilename: string | undefined;
  let inlineCode: Uint8Array | undefined;
  if (local.has('filename')) {
    bootstrapFilename = local.str('filename');
    if (overlay?.wasm?.filename) filename = resolve(overlayDir, overlay.wasm.filename);
    else filename = isAbsolute(bootstrapFilename) ? bootstrapFilename : resolve(baseDir, bootstrapFilename);
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
  return { name, rootId, vmId, configuration, vmConfiguration, filename, bootstrapFilename, inlineCode, failurePolicy };
}

function filterType(f: Fields): string {
  const tc = f.value.typed_config as Record<string, Json> | undefined;
  const t = tc && typeof tc['@type'] === 'string' ? (tc['@type'] as string) : '';
  return t;
}

function readHcm(tc: Fields, r: Reader, baseDir: string, overlay: Overlay | undefined, overlayDir: string) {
  tc.accept('@type', 'stat_prefix', 'codec_type');
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
  const accessLog = tc.list('access_log').length > 0;
  if (accessLog) r.warn(tc.at('access_log'), 'printed to stdout in Envoy\'s default format whatever its sink and format');

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
    } else if (type === WASM_FILTER_TYPE || (type === '' && name === 'envoy.filters.http.wasm')) {
      wasmFilters.push(readWasmFilter(f.obj('typed_config'), r, baseDir, overlay, overlayDir));
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

function readListener(value: Json, path: string, r: Reader, baseDir: string, overlay: Overlay | undefined, overlayDir: string): Listener {
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
      hcm = readHcm(f.obj('typed_config'), r, baseDir, overlay, overlayDir);
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

export interface LoadOptions {
  /** Directory that relative wasm filenames in the bootstrap resolve against (default: cwd). */
  baseDir?: string;
  overlay?: Overlay;
  /** Directory that relative paths in the overlay resolve against (default: cwd). */
  overlayDir?: string;
}

/** Turns a parsed bootstrap document into the runner's model. Throws BootstrapError. */
export function readBootstrap(doc: Json, opts: LoadOptions = {}): Bootstrap {
  const r = new Reader();
  const baseDir = opts.baseDir ?? process.cwd();
  const overlayDir = opts.overlayDir ?? process.cwd();
  const overlay = opts.overlay;
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
  const listeners = sr.list('listeners').map((v, i) =>
    readListener(v, sr.at(`listeners[${i}]`), r, baseDir, overlay, overlayDir),
  );
  if (listeners.length === 0) throw new BootstrapError(`${sr.at('listeners')}: expected at least one listener`);
  sr.done();

  let admin: SocketAddress | undefined;
  const a = root.optObj('admin');
  if (a) {
    if (a.has('address')) admin = readSocketAddress(a, 'address');
    a.done();
  }

  const statsTags: StatsTag[] = [];
  let useAllDefaultTags = true;
  const sc = root.optObj('stats_config');
  if (sc) {
    useAllDefaultTags = sc.bool('use_all_default_tags', true);
    sc.list('stats_tags').forEach((v, i) => {
      const t = Fields.of(v, sc.at(`stats_tags[${i}]`), r);
      const name = t.str('tag_name');
      if (t.has('fixed_value')) {
        t.refuse('fixed_value', 'fixed-value tags are not supported by the local runner');
      }
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

  applyOverlay({ listeners, clusters, admin }, overlay, r);
  if (overlay?.wasm?.filename && !listeners.some((l) => l.wasmFilters.some((w) => w.bootstrapFilename))) {
    r.warn('overlay wasm.filename', 'no wasm filter with a local filename to map');
  }
  const result: Bootstrap = { listeners, clusters, statsTags, useAllDefaultTags, warnings: r.warnings };
  // Admin address after the overlay.
  const ov = overlay?.admin;
  if (admin || ov) {
    result.admin = { address: ov?.address ?? admin?.address ?? '127.0.0.1', port: ov?.port ?? admin?.port ?? 9901 };
  }
  return result;
}

function applyOverlay(
  b: { listeners: Listener[]; clusters: Map<string, Cluster>; admin?: SocketAddress },
  overlay: Overlay | undefined,
  r: Reader,
) {
  if (!overlay) return;
  if (overlay.listener) {
    if (b.listeners.length > 1) r.warn('overlay listener', `applied to the first listener only (${b.listeners[0]!.name})`);
    const l = b.listeners[0]!;
    l.address = {
      address: overlay.listener.address ?? l.address.address,
      port: overlay.listener.port ?? l.address.port,
    };
  }
  for (const [name, addr] of Object.entries(overlay.clusters ?? {})) {
    const c = b.clusters.get(name);
    if (!c) throw new BootstrapError(`overlay clusters.${name}: no such cluster in the bootstrap`);
    c.endpoints = [{ address: addr.address, port: addr.port }];
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
    return { address: a.address as string, port: a.port as number };
  };
  const out: Overlay = {};
  if (o.listener !== undefined) out.listener = addr('listener', o.listener, false);
  if (o.admin !== undefined) out.admin = addr('admin', o.admin, false);
  if (o.clusters !== undefined) {
    if (!isObj(o.clusters)) fail('clusters', 'an object of NAME: {address, port}', o.clusters);
    out.clusters = {};
    for (const [name, v] of Object.entries(o.clusters as Record<string, Json>)) {
      out.clusters[name] = addr(`clusters.${name}`, v, true);
    }
  }
  if (o.wasm !== undefined) {
    const w = o.wasm as Record<string, Json>;
    if (!isObj(w) || typeof w.filename !== 'string') fail('wasm', 'an object with filename', o.wasm);
    out.wasm = { filename: w.filename as string };
  }
  return out;
}

/**
 * Reads a bootstrap file (and an overlay file) from disk. Relative paths in the overlay resolve
 * against `overlayDir` — the current directory unless given (envoy/local.yaml is written for the
 * repository root, like envoy/overlay.ts reads it).
 */
export function loadBootstrap(file: string, overlayFile?: string, dirs: { overlayDir?: string } = {}): Bootstrap {
  const doc = parseYamlFile(file);
  let overlay: Overlay | undefined;
  if (overlayFile) overlay = readOverlay(parseYamlFile(overlayFile));
  return readBootstrap(doc, { baseDir: process.cwd(), overlay, overlayDir: dirs.overlayDir ?? process.cwd() });
}

function parseYamlFile(file: string): Json {
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
