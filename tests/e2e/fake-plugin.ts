// A stand-in for host/plugin.ts's Plugin (host/api.ts) with no Wasm in it. It understands the
// original dispatcher configuration form well enough to rewrite :authority from a header, and a
// few request headers make it produce every outcome the runner must handle:
//   x-fake-action: stop | local | fail | no-clear | body-local | response-local | body-stop
//   (no-clear: change headers, keep the route cache; body-local / response-local: a local reply
//   from on_request_body / on_response_headers; body-stop: buffer the request body to its end)
// The e2e tests use it for those outcomes; routing itself is tested against the real filter.

import type {
  HeaderList, HeadersOutcome, HostCallRecord, LogEntry, LogLevelName, MetricValue, Plugin, PluginOptions, Stream, Violation,
} from '../../host/api.ts';

interface DispatcherConfig {
  key: string;
  destination?: string;
  rewrites: Record<string, { patch?: Array<{ key: string; val: unknown }>; destination?: string }>;
}

const LEVELS: LogLevelName[] = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];

function authorityOf(url: string): string {
  return url.replace(/^https?:\/\//, '').split('/', 1)[0]!;
}

export class FakeConfigRejected extends Error {
  override readonly name = 'ConfigRejectedError' as const;
  constructor(message: string, readonly logs: LogEntry[]) {
    super(message);
  }
}

export class FakePlugin implements Plugin {
  readonly logs: LogEntry[] = [];
  /** Every callback, in order, e.g. `3:request_headers`, for assertions. */
  readonly events: string[] = [];
  readonly properties: Array<Record<string, string | number | Uint8Array>> = [];
  private readonly counters = new Map<string, number>();
  private level: LogLevelName;
  private config!: DispatcherConfig;
  private nextId = 1;
  private failed = false;

  constructor(private readonly options: PluginOptions) {
    this.level = options.logLevel ?? 'info';
    this.configure(options.configuration ?? '');
  }

  private configure(configuration: string | Uint8Array) {
    const text = typeof configuration === 'string' ? configuration : new TextDecoder().decode(configuration);
    try {
      const c = JSON.parse(text) as DispatcherConfig;
      if (typeof c.key !== 'string' || typeof c.rewrites !== 'object') throw new Error('expected key and rewrites');
      this.config = c;
    } catch (e) {
      const entry: LogEntry = { level: 'critical', message: `routekey: invalid configuration: ${(e as Error).message}`, vm: 'canary' };
      throw new FakeConfigRejected('configuration rejected', [entry]);
    }
  }

  private log(level: LogLevelName, message: string, vm = 'worker-0') {
    if (LEVELS.indexOf(level) < LEVELS.indexOf(this.level)) return;
    const e = { level, message, vm };
    this.logs.push(e);
    this.options.onLog?.(e);
  }

  private count(name: string) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + 1);
  }

  createStream(properties: Record<string, string | number | Uint8Array> = {}): Stream {
    const id = this.nextId++;
    this.properties.push(properties);
    const plugin = this;
    const ev = (what: string) => plugin.events.push(`${id}:${what}`);
    let resume: ((o: HeadersOutcome) => void) | undefined;
    const resumed: Promise<HeadersOutcome> = new Promise((r) => (resume = r));
    let failure: string | undefined;
    const failurePolicy = this.options.failurePolicy ?? 'fail_closed';
    let streamAction: string | undefined;
    let held: Uint8Array | undefined;
    const reply = (status: number, text: string) => ({
      status, details: 'fake', body: new TextEncoder().encode(text), headers: [['x-fake-local', 'yes']] as HeaderList, grpcStatus: -1,
    });

    const route = (headers: HeaderList): HeaderList => {
      const get = (n: string) => headers.find(([k]) => k === n)?.[1];
      const value = get(this.config.key.toLowerCase());
      const rw = value !== undefined ? this.config.rewrites[value] : undefined;
      let out = headers.map(([k, v]) => [k, v] as [string, string]);
      const set = (k: string, v: string) => {
        out = out.filter(([n]) => n !== k);
        out.push([k, v]);
      };
      if (rw) {
        for (const p of rw.patch ?? []) set(p.key.toLowerCase() === 'host' ? ':authority' : p.key.toLowerCase(), typeof p.val === 'string' ? p.val : JSON.stringify(p.val));
        if (rw.destination) set(':authority', authorityOf(rw.destination));
        this.count(`wasmcustom.routekey.routed.route.${value}`);
      } else if (this.config.destination) {
        set(':authority', authorityOf(this.config.destination));
        this.count('wasmcustom.routekey.default');
      } else this.count('wasmcustom.routekey.passthrough');
      this.log('debug', `stream ${id}: ${get(':authority')} -> ${out.find(([k]) => k === ':authority')?.[1]}`);
      return out;
    };

    return {
      contextId: id,
      get failure() {
        return failure;
      },
      onRequestHeaders(headers, endOfStream): HeadersOutcome {
        ev(`request_headers eos=${endOfStream}`);
        if (plugin.failed) return failurePolicy === 'fail_open' ? { action: 'skipped', headers, routeCacheCleared: false } : { action: 'failed', headers, routeCacheCleared: false };
        const action = headers.find(([k]) => k === 'x-fake-action')?.[1];
        streamAction = action;
        if (action === 'fail') {
          failure = 'unreachable executed';
          plugin.failed = true;
          plugin.log('critical', `stream ${id}: trap: unreachable`);
          return { action: failurePolicy === 'fail_open' ? 'skipped' : 'failed', headers, routeCacheCleared: false };
        }
        if (action === 'local') {
          const body = new TextEncoder().encode('fake local reply\n');
          return {
            action: 'localReply', headers, routeCacheCleared: false,
            localReply: { status: 418, details: 'fake', body, headers: [['x-fake-local', 'yes']], grpcStatus: -1 },
          };
        }
        const out = route(headers);
        if (action === 'stop') {
          setTimeout(() => {
            ev('resume');
            resume!({ action: 'continue', headers: out, routeCacheCleared: true });
          }, 30);
          return { action: 'stop', status: 1, headers, routeCacheCleared: false };
        }
        return { action: 'continue', status: 0, headers: out, routeCacheCleared: action !== 'no-clear' };
      },
      whenRequestResumed() {
        return resumed;
      },
      onRequestBody(chunk, endOfStream) {
        ev(`request_body ${chunk.length} eos=${endOfStream}`);
        if (streamAction === 'body-local') return { action: 'stop', status: 1, body: chunk, localReply: reply(413, 'too much\n') };
        if (streamAction === 'body-stop') {
          held = held ? Buffer.concat([held, chunk]) : chunk;
          return { action: 'stop', status: 1, body: held };
        }
        return { action: 'continue', status: 0, body: chunk };
      },
      onResponseHeaders(headers, endOfStream): HeadersOutcome {
        ev(`response_headers eos=${endOfStream}`);
        if (streamAction === 'response-local') {
          return { action: 'localReply', headers, routeCacheCleared: false, localReply: reply(502, 'replaced\n') };
        }
        return { action: 'continue', status: 0, headers: [...headers, ['x-fake-seen', String(id)]], routeCacheCleared: false };
      },
      onResponseBody(chunk, endOfStream) {
        ev(`response_body ${chunk.length} eos=${endOfStream}`);
        return { action: 'continue', status: 0, body: chunk };
      },
      complete() {
        ev('log');
        ev('done');
        ev('delete');
      },
    };
  }

  async reconfigure(configuration: string | Uint8Array): Promise<void> {
    this.configure(configuration);
  }
  tick(): void {}
  metrics(): MetricValue[] {
    return [...this.counters].map(([name, value]) => ({ name, type: 'counter' as const, value }));
  }
  setLogLevel(level: LogLevelName): void {
    this.level = level;
  }
  failures() {
    return this.failed ? [{ vm: 'worker-0', message: 'unreachable executed' }] : [];
  }
  async close(): Promise<void> {}
  hostCalls(): HostCallRecord[] {
    return [];
  }
  violations(): Violation[] {
    return [];
  }
  fireTicks(): number {
    return 0;
  }
  async settle(): Promise<void> {}
  workerNames(): string[] {
    return ['worker-0'];
  }
  memoryBytes(): number {
    return 0;
  }

}

/** A StartPlugin that records the plugins it made. */
export function fakeStarter() {
  const made: FakePlugin[] = [];
  const start = async (options: PluginOptions) => {
    const p = new FakePlugin(options);
    made.push(p);
    return p;
  };
  return { start, made };
}
