// The local runner: a bootstrap in, listeners + admin + one Plugin per wasm filter out.
// What `routekey run` and the e2e tests start.

import type { LogEntry, LogLevelSetting, Plugin, PluginOptions } from '../lib/index.ts';
import { createHostProcess, startPlugin } from '../lib/index.ts';
import { AdminServer } from './admin.ts';
import type { Bootstrap, WasmFilter } from './model.ts';
import { ClusterPools } from './connection-pool.ts';
import { ListenerProxy } from './proxy.ts';
import { Stats } from './stats.ts';
import { clusterResolver, EndpointPicker } from './upstreams.ts';

// What the application (host/app/) uses of the runner. validate.ts, overlay.ts and verify.ts import
// wasm-config.ts and overlay.ts directly instead: they must not load the wasm host to read YAML.
export { loadBootstrap, readBootstrap, BootstrapError } from './bootstrap.ts';
export { isLoopback, parseLogLevel } from './admin.ts';
export { applyOverlay, readOverlay, type Overlay } from './overlay.ts';
export { decodeAnyConfiguration, isWasmFilterEntry, WASM_FILTER_TYPE, type AnyConfiguration } from './wasm-config.ts';
export { clusterResolver, EndpointPicker } from './upstreams.ts';
export type { Bootstrap } from './model.ts';

export type StartPlugin = (options: PluginOptions) => Promise<Plugin>;

export interface RunnerOptions {
  bootstrap: Bootstrap;
  /** Worker VMs per plugin (the host library's default when absent). */
  workers?: number;
  logLevel?: LogLevelSetting;
  /** Defaults to host/lib/plugin.ts's startPlugin; tests may pass another. */
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
  logLevel(): LogLevelSetting;
  setLogLevel(level: LogLevelSetting): void;
  close(): Promise<void>;
}

function endpoint(address: string, port: number): Endpoint {
  const host = address.includes(':') ? `[${address}]` : address;
  return { address, port, url: `http://${host}:${port}` };
}

export async function startRunner(opts: RunnerOptions): Promise<Runner> {
  const b = opts.bootstrap;
  const start = opts.startPlugin ?? startPlugin;
  const stats = new Stats();
  let level: LogLevelSetting = opts.logLevel ?? 'info';
  let live = false;
  const plugins: Plugin[] = [];
  const proxies: ListenerProxy[] = [];
  let admin: AdminServer | undefined;
  const picker = new EndpointPicker();
  const resolver = clusterResolver(b.clusters, picker);
  const pools = new ClusterPools(stats);
  // One Envoy process: every plugin of a vm_id, on any listener, shares its data and queues.
  const hostProcess = createHostProcess();

  const close = async () => {
    live = false;
    await Promise.allSettled([...proxies.map((p) => p.close()), admin?.close()]);
    pools.close();
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
          process: hostProcess,
          // Byte-faithful headers between node:http and guest memory (host/lib/headers.ts).
          headerEncoding: 'latin1',
          // A long-running server: no per-call record, only what an operator reads.
          recordHostCalls: false,
          onLog: opts.onPluginLog ? (e) => opts.onPluginLog!(e, f) : undefined,
        });
        plugins.push(p);
        list.push(p);
      }
      perListener.push(list);
    }

    const metrics = () => stats.collect(plugins.map((p) => p.metrics()));
    const setLogLevel = (l: LogLevelSetting) => {
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
        picker,
        pools,
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
// `routekey run --rules` and `routekey explain` (host/app/): a bootstrap from rules, and the
// router's choice for one request without starting anything.
export { generateBootstrap, destinationDomains, type GeneratedBootstrapSpec } from './generate-bootstrap.ts';
export { previewRoute, type RoutePreview } from './route-preview.ts';
