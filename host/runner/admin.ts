// The admin listener, shaped like Envoy's: /ready, /stats, /stats/prometheus, /logging,
// /quitquitquit. Only what scripts and probes written for Envoy rely on.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLevelSetting, MetricValue } from '../lib/index.ts';
import type { SocketAddress, StatsTag } from './model.ts';
import { formatPrometheus, formatText } from './stats.ts';

export interface AdminOptions {
  address: SocketAddress;
  isLive: () => boolean;
  metrics: () => MetricValue[];
  statsTags: StatsTag[];
  useAllDefaultTags: boolean;
  logLevel: () => LogLevelSetting;
  setLogLevel: (level: LogLevelSetting) => void;
  /** POST /quitquitquit. */
  onQuit?: () => void;
}

/** Envoy's level names (and `warn`) → the host's; `off` makes the guest read 6 and logs nothing. */
export function parseLogLevel(name: string): LogLevelSetting | undefined {
  const map: Record<string, LogLevelSetting> = {
    trace: 'trace', debug: 'debug', info: 'info', warn: 'warn', warning: 'warn',
    error: 'error', critical: 'critical', off: 'off',
  };
  return map[name.toLowerCase()];
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: reachable from this machine only. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^::ffff:/, '');
  return a === 'localhost' || a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}

function envoyLevelName(l: LogLevelSetting): string {
  return l === 'warn' ? 'warning' : l;
}

const HELP = `admin commands are:
  /: this page
  /logging: query (GET) or change (POST ?level=LEVEL or ?wasm=LEVEL) the wasm log level
  /quitquitquit: exit the server (POST)
  /ready: print server state, return 200 if LIVE, otherwise return 503
  /stats: print server stats (?filter=REGEX, ?format=prometheus)
  /stats/prometheus: print server stats in prometheus format
`;

export class AdminServer {
  readonly server: http.Server;

  constructor(private readonly opts: AdminOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.address.port, this.opts.address.address, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://admin');
    const send = (status: number, body: string, type = 'text/plain; charset=UTF-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    req.resume();
    const post = req.method === 'POST';
    switch (url.pathname) {
      case '/':
      case '/help':
        return send(200, HELP);
      case '/ready': {
        const live = this.opts.isLive();
        return send(live ? 200 : 503, live ? 'LIVE\n' : 'PRE_INITIALIZING\n');
      }
      case '/stats': {
        if (url.searchParams.get('format') === 'prometheus') return this.prometheus(send);
        let filter: RegExp | undefined;
        const f = url.searchParams.get('filter');
        if (f) {
          try {
            filter = new RegExp(f);
          } catch {
            return send(400, `Invalid re2 regex\n`);
          }
        }
        if (url.searchParams.get('format') === 'json') {
          const stats = this.opts.metrics().filter((m) => !filter || filter.test(m.name));
          return send(200, JSON.stringify({ stats: stats.map((m) => ({ name: m.name, value: m.value })) }, null, 1), 'application/json');
        }
        return send(200, formatText(this.opts.metrics(), filter));
      }
      case '/stats/prometheus':
        return this.prometheus(send);
      case '/logging': {
        const level = url.searchParams.get('level') ?? url.searchParams.get('wasm') ?? pathsLevel(url.searchParams.get('paths'));
        if (level !== null && level !== undefined) {
          if (!post) return send(405, 'This endpoint requires POST\n');
          const parsed = parseLogLevel(level);
          if (!parsed) return send(404, `error: unknown logger level "${level}"\nusage: /logging?level=(trace|debug|info|warning|error|critical|off)\n`);
          this.opts.setLogLevel(parsed);
        } else if (post && [...url.searchParams.keys()].length > 0) {
          return send(404, 'usage: /logging?level=LEVEL or /logging?wasm=LEVEL\n');
        }
        return send(200, `active loggers:\n  wasm: ${envoyLevelName(this.opts.logLevel())}\n`);
      }
      case '/quitquitquit':
        if (!post) return send(405, 'This endpoint requires POST\n');
        send(200, 'OK\n');
        setImmediate(() => this.opts.onQuit?.());
        return;
      default:
        return send(404, `invalid path. ${HELP}`);
    }
  }

  private prometheus(send: (status: number, body: string, type?: string) => void) {
    send(200, formatPrometheus(this.opts.metrics(), this.opts.statsTags, this.opts.useAllDefaultTags), 'text/plain; version=0.0.4; charset=UTF-8');
  }
}

/** `?paths=wasm:debug,http:info` → the wasm entry. */
function pathsLevel(paths: string | null): string | undefined {
  if (!paths) return undefined;
  for (const part of paths.split(',')) {
    const [name, level] = part.split(':');
    if (name === 'wasm' && level) return level;
  }
  return undefined;
}
