// The local runner: a bootstrap in, listeners + admin + one Plugin per wasm filter out.
// What `routekey run` and the e2e tests start.

import type { ClusterResolver, LogEntry, LogLevelName, Plugin, PluginOptions } from '../api.ts';
import { startPlugin } from '../plugin.ts';
import { AdminServer } from './admin.ts';
import type { Bootstrap, Cluster, WasmFilter } from './bootstrap.ts';
import { ListenerProxy } from './proxy.ts';
import { Stats } from './stats.ts';

export { loadBootstrap, readBootstrap, readOverlay, BootstrapError } from './bootstrap.ts';
export type { Bootstrap, Overlay } from './bootstrap.ts';

export type StartPlugin = (options: PluginOptions) => Promise<Plugin>;

export interface RunnerOptions {
  bootstrap: Bootstrap;
  /** Worker VMs per plugin (the host library's default when absent). */
  workers?: number;
  logLevel?: LogLevelName;
  /** Defaults to host/plugin.ts's startPlugin; tests may pass another. */
  startPlugin?: StartPlugin;
  /** Guest log lines at or above the log level. */
  onPluginLog?: (entry: LogEntry, filter: WasmFilter) => void;
  /** Access-log lines of listeners whose connection manager has access_log. */
  accessLog?: (line: string) => void;
  /** Runner diagnostics. */
  log?: (line: string) => void;
  /** POST /quitquitquit on the admin listener. */
  onQuit?: () => void;
}

export interface Endpoint {
  address: string;
  port: number;
  /** http://address:port */
  url: string;
}

export interface Runner {
  listeners: Array<Endpoint & { name: string }>;
  admin?: Endpoint;
  plugins: Plugin[];
  stats: Stats;
  logLevel(): LogLevelName;
  setLogLevel(level: LogLevelName): void;
  close(): Promise<void>;
}

/** `proxy_http_call` targets: the bootstrap's clusters, first endpoint, round robin. */
export function clusterResolver(clusters: Map<string, Cluster>): ClusterResolver {
  const next = new Map<string, number>();
  return (name) => {
    const c = clusters.get(name);
    if (!c || c.endpoints.length === 0) return undefined;
    const i = next.get(name) ?? 0;
    next.set(name, (i + 1) % c.endpoints.length);
    const e = c.endpoints[i]!;
    return { host: e.address, port: e.port };
  };
}

function endpoint(address: string, port: number): Endpoint {
  const host = address.includes(':') ? `[${address}]` : address;
  return { address, port, url: `http://${host}:${port}` };
}

export async function startRunner(opts: RunnerOptions): Promise<Runner> {
  const b = opts.bootstrap;
  const start = opts.startPlugin ?? startPlugin;
  const stats = new Stats();
  let level: LogLevelName = opts.logLevel ?? 'info';
  let live = false;
  const plugins: Plugin[] = [];
  const proxies: ListenerProxy[] = [];
  let admin: AdminServer | undefined;
  const resolver = clusterResolver(b.clusters);

  const close = async () => {
    live = false;
    await Promise.allSettled([...proxies.map((p) => p.close()), admin?.close()]);
    await Promise.allSettled(plugins.map((p) => p.close()));
  };

  try {
    const perListener: Plugin[][] = [];
    for (const l of b.listeners) {
      const list: Plugin[] = [];
      for (const f of l.wasmFilters) {
        const p = await start({
          wasm: f.filename ?? f.inlineCode!,
          rootId: f.rootId,
          name: f.name,
          vmId: f.vmId,
          configuration: f.configuration,
          vmConfiguration: f.vmConfiguration,
          workers: opts.workers,
          failurePolicy: f.failurePolicy,
          logLevel: level,
          clusters: resolver,
          onLog: opts.onPluginLog ? (e) => opts.onPluginLog!(e, f) : undefined,
        });
        plugins.push(p);
        list.push(p);
      }
      perListener.push(list);
    }

    const metrics = () => stats.collect(plugins.map((p) => p.metrics()));
    const setLogLevel = (l: LogLevelName) => {
      level = l;
      for (const p of plugins) p.setLogLevel(l);
    };

    let adminEndpoint: Endpoint | undefined;
    if (b.admin) {
      admin = new AdminServer({
        address: b.admin,
        isLive: () => live,
        metrics,
        statsTags: b.statsTags,
        useAllDefaultTags: b.useAllDefaultTags,
        logLevel: () => level,
        setLogLevel,
        onQuit: opts.onQuit,
      });
      const a = await admin.listen();
      adminEndpoint = endpoint(a.address, a.port);
    }

    const listeners: Runner['listeners'] = [];
    for (const [i, l] of b.listeners.entries()) {
      const proxy = new ListenerProxy({
        listener: l,
        clusters: b.clusters,
        plugins: perListener[i]!,
        stats,
        accessLog: opts.accessLog,
        log: opts.log,
      });
      proxies.push(proxy);
      const a = await proxy.listen();
      listeners.push({ name: l.name, ...endpoint(a.address, a.port) });
    }
    live = true;
    stats.set('server.live', 1);
    return {
      listeners,
      admin: adminEndpoint,
      plugins,
      stats,
      logLevel: () => level,
      setLogLevel,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
