// The fuzzer: seeded cases driven through the built module in host/lib (the strict host), each
// checked against the invariant table (invariants.ts). Case i of seed S is generated from
// Rng.forCase(S, i) alone, so `--seed S --case i` replays it.
//
// Case kinds: 'config' (grammar-aware mutation of a valid configuration), 'bytes' (raw mutation
// of its bytes), 'request' (hostile header sets against a fixed configuration; memory is
// measured after a warm-up of the largest requests), 'rules' (a live-rules plugin with manual
// callouts: hostile rules documents and callout responses, flapping).
import { startPlugin } from '../host/lib/plugin.ts';
import type { CalloutResponse, HeaderList, Plugin, PluginOptions } from '../host/lib/api.ts';
import { Rng } from './rng.ts';
import { CONFIGS, DOCS, LIVE_BASE } from './corpus.ts';
import { mutateBytes, mutateTree } from './mutate.ts';
import { hostileRequest, largestRequests } from './requests.ts';
import { checkAccepted, checkSent, type Finding } from './invariants.ts';

export type CaseKind = 'config' | 'bytes' | 'request' | 'rules';

export interface FuzzOptions {
  wasm: Uint8Array;
  seed: number;
  /** Cases to run (from index 0), unless `only` is given. */
  cases: number;
  /** Stop starting cases after this many milliseconds. */
  timeMs?: number;
  /** Run only this case index (a replay). */
  only?: number;
  /** Invariant ids whose findings are counted and listed, but do not fail the run. */
  allow?: string[];
  /** Longest request path the generator makes (bytes). */
  maxPath?: number;
  /** An extra check on every accepted configuration or rules document (tests plant bugs with it). */
  extraCheck?: (doc: unknown) => Finding[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface CaseFinding extends Finding {
  seed: number;
  caseIndex: number;
  kind: CaseKind;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  byKind: Record<CaseKind, number>;
  accepted: number;
  refused: number;
  requests: number;
  deliveries: number;
  /** Findings that fail the run (not allowed). */
  failures: CaseFinding[];
  /** Allowed findings: per invariant id, how many and the first case. */
  skipped: Record<string, { count: number; first: CaseFinding }>;
  memory: { afterWarmup: number; end: number };
  durationMs: number;
}

const REQUEST_CONFIG = {
  key: [{ header: 'x-sandbox' }, { header: 'x-env' }],
  routes: [
    { name: 'dev', keys: ['dev'], destination: 'dev.svc:8080', requestHeaders: { set: { 'x-routed': 'dev' }, add: { 'x-t': '1' }, remove: ['x-debug'] } },
    { name: 'pr', keys: ['pr'], destination: 'http://pr.svc/api' },
    { name: 'h', keys: ['h'], requestHeaders: { set: { Host: 'h.example:8443' } } },
    // Scoped and prefix routes: requests to app.local (any case, any port) read :authority.
    { name: 'dev-app', keys: ['dev', 'h'], hosts: ['app.local', 'other.local:8080'], destination: 'dev-app.svc:8080' },
    { name: 'preview', prefixes: ['pr-', 'p'], hosts: ['app.local'], destination: 'preview.svc' },
    { name: 'pr-any', prefixes: ['pr-'], destination: 'pr-any.svc' },
  ],
  default: { destination: 'baseline.svc:8080' },
  decisionHeader: 'x-routekey-route',
};
const REQUEST_KEYS = ['dev', 'pr', 'h', '', 'pr-7', 'p'];

const LIVE_CONFIG = { ...LIVE_BASE, rulesService: { ...LIVE_BASE.rulesService, maxBytes: 65536 } };

const ETAGS = ['"e1"', 'W/"x"', '', '"a\u0001b"', '"a\r\nx-injected: 1"', '"a\u0000"', '"' + 'e'.repeat(5000) + '"'];
/** Wrong content: empty, not an object, HTML, truncated, a bare version, over maxBytes (65536). */
const BODIES = ['', 'null', '[]', '<html>nope</html>', '{', '{"version":"v"}', ' '.repeat(70000), 'x'.repeat(65537)].map((b) => new TextEncoder().encode(b));

const fatal = new TextDecoder('utf-8', { fatal: true });
const te = new TextEncoder();

function parseDoc(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(fatal.decode(bytes));
  } catch {
    return undefined;
  }
}

/** The routing keys of a configuration or rules document (routes[].keys, rewrites). */
function keysOf(doc: unknown): string[] {
  const out: string[] = [];
  if (typeof doc !== 'object' || doc === null) return out;
  const d = doc as Record<string, unknown>;
  if (Array.isArray(d.routes)) {
    for (const r of d.routes) {
      const ks = (r as Record<string, unknown> | null)?.keys;
      if (Array.isArray(ks)) for (const k of ks) if (typeof k === 'string') out.push(k);
    }
  }
  if (typeof d.rewrites === 'object' && d.rewrites !== null) out.push(...Object.keys(d.rewrites));
  return out.slice(0, 6);
}

/** Which header the key is read from (the configuration's first header key source). */
function keyHeaderOf(doc: unknown): string {
  const k = (doc as Record<string, unknown> | null)?.key;
  if (typeof k === 'string') return k;
  if (Array.isArray(k) && typeof k[0]?.header === 'string') return k[0].header;
  return 'x-env';
}

function pickKind(r: Rng): CaseKind {
  const x = r.int(100);
  return x < 30 ? 'config' : x < 50 ? 'bytes' : x < 88 ? 'request' : 'rules';
}

class Run {
  readonly report: FuzzReport;
  private cfgPlugin: Plugin | undefined;
  private reqPlugin: Plugin | undefined;
  private caseIndex = 0;
  private kind: CaseKind = 'config';
  private readonly allow: Set<string>;

  constructor(private readonly o: FuzzOptions) {
    this.allow = new Set(o.allow ?? []);
    this.report = {
      seed: o.seed, cases: 0, byKind: { config: 0, bytes: 0, request: 0, rules: 0 }, accepted: 0, refused: 0,
      requests: 0, deliveries: 0, failures: [], skipped: {}, memory: { afterWarmup: 0, end: 0 }, durationMs: 0,
    };
  }

  private find(f: Finding): void {
    const cf: CaseFinding = { ...f, seed: this.o.seed, caseIndex: this.caseIndex, kind: this.kind };
    if (this.allow.has(f.id)) {
      const s = (this.report.skipped[f.id] ??= { count: 0, first: cf });
      s.count++;
    } else {
      this.report.failures.push(cf);
      if (this.report.failures.length <= 20) this.o.log?.(`FAIL ${f.id} (seed ${cf.seed}, case ${cf.caseIndex}, ${cf.kind}): ${f.detail}`);
    }
  }

  private options(extra: Partial<PluginOptions> = {}): PluginOptions {
    return { wasm: this.o.wasm, rootId: 'routekey', workers: 1, recordHostCalls: false, ...extra };
  }

  /** Traps and violations the plugin recorded since `mark`; restarts nothing. */
  private checkHost(p: Plugin, mark: { failures: number; violations: number }, what: string): boolean {
    const failures = p.failures();
    const violations = p.violations();
    let ok = true;
    if (failures.length > mark.failures) {
      ok = false;
      this.find({ id: 'TRAP', detail: `${what}: ${failures.at(-1)!.vm}: ${failures.at(-1)!.message}`.slice(0, 300) });
    }
    if (violations.length > mark.violations) {
      ok = false;
      const v = violations.at(-1)!;
      this.find({ id: 'HOST-VIOLATION', detail: `${what}: ${v.kind} in ${v.call} (${v.callback}): ${v.message}`.slice(0, 300) });
    }
    return ok;
  }

  private mark(p: Plugin) {
    return { failures: p.failures().length, violations: p.violations().length };
  }

  /** One request through a new stream; checks what the filter sent. */
  private request(p: Plugin, headers: HeaderList, what: string): void {
    const mark = this.mark(p);
    const s = p.createStream();
    const req = s.onRequestHeaders(headers, true);
    const resp = s.onResponseHeaders([[':status', '200']], true);
    s.complete();
    this.report.requests++;
    if (!this.checkHost(p, mark, what)) return;
    for (const f of checkSent(headers, req.headers)) this.find({ ...f, detail: `${what}: ${f.detail}` });
    for (const f of checkSent([[':status', '200']], resp.headers)) this.find({ ...f, detail: `${what} (response): ${f.detail}` });
  }

  private checkDoc(doc: unknown, what: string): void {
    for (const f of [...checkAccepted(doc), ...(this.o.extraCheck?.(doc) ?? [])]) this.find({ ...f, detail: `${what}: ${f.detail}` });
  }

  private async configPlugin(): Promise<Plugin> {
    if (!this.cfgPlugin) {
      this.cfgPlugin = await startPlugin(this.options({ configuration: JSON.stringify(CONFIGS[0]), clock: () => 1_000_000, callouts: 'manual' }));
    }
    return this.cfgPlugin;
  }

  private async configCase(bytes: Uint8Array): Promise<void> {
    const p = await this.configPlugin();
    const mark = this.mark(p);
    const shown = JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 200)));
    try {
      await p.reconfigure(bytes);
    } catch (e) {
      const err = e as { name?: string; message?: string; logs?: Array<{ level: string; message: string }> };
      if (err.name !== 'ConfigRejectedError') {
        this.find({ id: 'TRAP', detail: `reconfigure threw ${err.name}: ${err.message} on ${shown}` });
        await this.resetConfigPlugin();
        return;
      }
      this.report.refused++;
      if (/failed while configuring/.test(err.message ?? '')) this.find({ id: 'TRAP', detail: `canary: ${err.message} on ${shown}` });
      const critical = (err.logs ?? []).filter((l) => l.level === 'critical');
      if (critical.length !== 1 || !/^routekey: invalid configuration: \S/.test(critical[0]!.message)) {
        this.find({ id: 'REFUSAL-LINE', detail: `${critical.length} critical lines (${critical.map((l) => l.message).join(' | ').slice(0, 200)}) on ${shown}` });
      }
      if (!this.checkHost(p, mark, 'refused configuration')) await this.resetConfigPlugin();
      return;
    }
    this.report.accepted++;
    if (!this.checkHost(p, mark, `configure ${shown}`)) {
      await this.resetConfigPlugin();
      return;
    }
    const doc = parseDoc(bytes);
    this.checkDoc(doc, `accepted ${shown}`);
    const name = keyHeaderOf(doc);
    for (const key of [...keysOf(doc), '']) {
      const h: HeaderList = [[':authority', 'app.local'], [':path', '/hello'], [':method', 'GET']];
      if (key !== '') h.push([name === ':authority' ? 'x-unused' : name, key]);
      this.request(p, h, `key ${JSON.stringify(key).slice(0, 60)} under ${shown}`);
    }
    if (p.failures().length > 0 || p.violations().length > 0) await this.resetConfigPlugin();
  }

  private async resetConfigPlugin(): Promise<void> {
    await this.cfgPlugin?.close();
    this.cfgPlugin = undefined;
  }

  private async requestPlugin(): Promise<Plugin> {
    if (!this.reqPlugin) {
      const p = await startPlugin(this.options({ configuration: JSON.stringify(REQUEST_CONFIG), headerEncoding: 'latin1' }));
      this.reqPlugin = p;
      const maxPath = this.o.maxPath ?? 1 << 20;
      const prev = this.kind;
      this.kind = 'request';
      // Warm-up: the largest requests of every shape, twice, and a spread of random ones.
      for (let round = 0; round < 2; round++) {
        for (const h of largestRequests(REQUEST_KEYS, maxPath)) this.request(p, h, 'warm-up');
      }
      const r = new Rng(this.o.seed ^ 0x5eed);
      for (let i = 0; i < 300; i++) this.request(p, hostileRequest(r, REQUEST_KEYS, maxPath), 'warm-up');
      this.kind = prev;
      this.report.memory.afterWarmup = p.memoryBytes();
    }
    return this.reqPlugin;
  }

  private async requestCase(r: Rng): Promise<void> {
    const p = await this.requestPlugin();
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) {
      const h = hostileRequest(r, REQUEST_KEYS, this.o.maxPath ?? 1 << 20);
      this.request(p, h, `request ${JSON.stringify(h).slice(0, 200)}`);
    }
    if (p.failures().length > 0 || p.violations().length > 0) {
      await p.close();
      this.reqPlugin = undefined;
    }
  }

  private hostileResponse(r: Rng, version: number): { response: CalloutResponse | 'reset' | 'timeout'; doc?: unknown; body?: Uint8Array } {
    const x = r.int(12);
    if (x === 0) return { response: 'reset' };
    if (x === 1) return { response: 'timeout' };
    if (x === 2) return { response: { status: r.pick([204, 301, 304, 400, 404, 429, 500, 502, 503, 504, 599]), body: 'oops' } };
    const headers: HeaderList = [['content-type', r.pick(['application/json', 'text/html', '', 'application/json; charset=latin1'])]];
    if (r.chance(0.3)) headers.push(['etag', r.chance(0.2) ? `"v${version}"` : r.pick(ETAGS)]);
    let body: Uint8Array;
    let doc: unknown;
    if (x === 3) body = r.pick(BODIES);
    else if (x === 4) body = mutateBytes(te.encode(JSON.stringify({ ...(DOCS[0] as object), version: `v${version}` })), r);
    else {
      doc = mutateTree({ ...(r.pick(DOCS) as object), version: `v${version}` }, r);
      if (r.chance(0.4)) doc = { ...(DOCS[r.int(DOCS.length)] as object), version: `v${version}` }; // a good one: flapping
      body = te.encode(JSON.stringify(doc) ?? '');
    }
    return { response: { status: 200, headers, body }, doc, body };
  }

  private async rulesCase(r: Rng): Promise<void> {
    let now = 1_000_000;
    const p = await startPlugin(this.options({ configuration: JSON.stringify(LIVE_CONFIG), clock: () => now, callouts: 'manual' }));
    const metric = (name: string) => p.metrics().find((m) => m.name === `wasmcustom.routekey.rules.${name}`)?.value ?? 0;
    let keys = ['dev'];
    const route = (key: string): string | undefined => {
      const h: HeaderList = [[':authority', 'app.local'], [':path', '/'], ['x-env', key]];
      const mark = this.mark(p);
      const s = p.createStream();
      const out = s.onRequestHeaders(h, true);
      s.complete();
      this.report.requests++;
      if (!this.checkHost(p, mark, `route ${key}`)) return undefined;
      for (const f of checkSent(h, out.headers)) this.find({ ...f, detail: `live key ${JSON.stringify(key)}: ${f.detail}` });
      return JSON.stringify(out.headers);
    };
    try {
      const steps = 1 + r.int(6);
      for (let step = 0; step < steps; step++) {
        for (let t = 0; t < 120 && p.pendingCallouts().length === 0; t++) {
          now += 250;
          p.tick();
        }
        const pending = p.pendingCallouts();
        if (pending.length !== 1) {
          this.find({ id: 'RULES-KEPT', detail: `step ${step}: ${pending.length} pending callouts after 30 s (expected one fetch)` });
          return;
        }
        const c = pending[0]!;
        for (const [k, v] of c.headers) if (/[\r\n\0]/.test(v)) this.find({ id: 'OUT-CRLFNUL', detail: `callout ${k}: ${JSON.stringify(v)}` });
        const before = keys.map(route);
        const success = metric('fetch.success');
        const { response, doc, body } = this.hostileResponse(r, step + 1);
        const mark = this.mark(p);
        const d = p.deliverCallout(c.token, response, c.vm);
        this.report.deliveries++;
        if (d.failure) this.find({ id: 'TRAP', detail: `rules step ${step}: ${d.failure}` });
        if (d.violations.length > 0) this.find({ id: 'HOST-VIOLATION', detail: `rules step ${step}: ${d.violations[0]!.kind} in ${d.violations[0]!.call}: ${d.violations[0]!.message}` });
        if (!this.checkHost(p, mark, `rules step ${step}`) || d.failure) return;
        if (metric('fetch.success') > success && body !== undefined) {
          const accepted = doc ?? parseDoc(body);
          this.checkDoc(accepted, `accepted rules document ${JSON.stringify(new TextDecoder().decode(body.subarray(0, 200)))}`);
          keys = [...keysOf(accepted), 'dev'];
          keys.forEach(route);
        } else {
          const after = keys.map(route);
          if (JSON.stringify(after) !== JSON.stringify(before)) {
            this.find({ id: 'RULES-KEPT', detail: `rules step ${step}: a failed fetch changed routing: ${JSON.stringify(before).slice(0, 150)} → ${JSON.stringify(after).slice(0, 150)}` });
          }
        }
      }
    } finally {
      await p.close();
    }
  }

  async runCase(index: number): Promise<void> {
    this.caseIndex = index;
    const r = Rng.forCase(this.o.seed, index);
    const kind = (this.kind = pickKind(r));
    this.report.byKind[kind]++;
    this.report.cases++;
    try {
      if (kind === 'config') {
        const tree = mutateTree(r.pick(CONFIGS), r);
        await this.configCase(te.encode(JSON.stringify(tree) ?? ''));
      } else if (kind === 'bytes') {
        await this.configCase(mutateBytes(te.encode(JSON.stringify(r.pick(CONFIGS))), r));
      } else if (kind === 'request') {
        await this.requestCase(r);
      } else {
        await this.rulesCase(r);
      }
    } catch (e) {
      this.find({ id: 'HOST-ERROR', detail: `host/lib or the fuzzer threw: ${(e as Error).stack ?? e}`.slice(0, 400) });
      await this.resetConfigPlugin();
    }
  }

  async finish(): Promise<void> {
    if (this.reqPlugin) {
      this.report.memory.end = this.reqPlugin.memoryBytes();
      if (this.report.memory.end > this.report.memory.afterWarmup) {
        this.caseIndex = -1;
        this.kind = 'request';
        this.find({ id: 'MEMORY-GROWTH', detail: `linear memory ${this.report.memory.afterWarmup} → ${this.report.memory.end} bytes after warm-up` });
      }
      await this.reqPlugin.close();
    }
    await this.resetConfigPlugin();
  }
}

/** Runs the cases (or the one `only` case) and returns what was found. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const run = new Run(o);
  if (o.only !== undefined) {
    await run.runCase(o.only);
  } else {
    for (let i = 0; i < o.cases; i++) {
      if (o.timeMs !== undefined && performance.now() - t0 > o.timeMs) break;
      await run.runCase(i);
      if (o.log && i > 0 && i % 5000 === 0) o.log(`… ${i} cases, ${run.report.failures.length} failures, ${Math.round(performance.now() - t0)} ms`);
    }
  }
  await run.finish();
  run.report.durationMs = Math.round(performance.now() - t0);
  return run.report;
}
