// Live rules: the root's duty that keeps the rules in force in step with a rules server
// (README, "Live rules"). One VM per Envoy worker thread runs one of these each; they agree
// through shared data (process-wide) so that the server sees one fetcher per proxy:
//
//   every run (a few times a second; no host call per request, ever)
//     adopt   read `gen` (8 bytes); when it moved, read `doc`, compile it, swap it in
//     lease   read the lease (lease.ts); claim, renew or take it over as it says
//     fetch   the holder, when due and nothing is in flight: proxy_http_call
//   the answer (at the root, onResponse)
//     200 + a valid document   swap, publish `doc` (version + etag + bytes), bump `gen`
//     304                      nothing changes, nothing is parsed
//     anything else            keep the rules in force, one warn line, a counter by reason,
//                              retry after a backoff (backoff.ts)
//
// A document replaces the rules only once it is completely valid: it is compiled into a new
// table first (rules/compile.ts), then swapped; a stream keeps the table it started with
// (RuleTable.acquire), so a request sees the old rules or the new, never a mix.
import {
  LogLevelValues, WasmResultValues, HeaderMap, log, logEnabled, nowMs, randomU64,
  httpCallRaw, calloutToken, readCalloutBody, getHeaderRaw, getSharedDataRaw, setSharedDataRaw, sharedCas,
  hostBytesPtr, hostBytesLen, freeHostBytes,
} from "../sdk";
import { KeySource } from "../config/model";
import { Initial, RulesService } from "../config/service";
import { RuleTable } from "../rules/table";
import { compileRulesDocument } from "../rules/compile";
import { heldMark, hold, letGoTo } from "../gc";
import { Duty } from "../ticks/scheduler";
import { StreamRoot } from "../filter/state";
import { LEASE_BYTES, LEASE_PERIODS, LeaseStep, encodeLease, leaseHolder, leaseStep } from "./lease";
import { nextDelayMs } from "./backoff";
import { decodeGeneration, decodePublished, encodePublished, publishedSize } from "./published";
import { calloutTimeoutMs, requestHeaders, serializePairs } from "./request";
import { ServiceKeys } from "./keys";
import { FailReason, FetchMetrics, reasonName } from "./metrics";

/** How often a worker looks at `gen` and the lease: an edit reaches every worker within this. */
export function runPeriodMs(refreshMs: u32): u32 {
  // 250 and 100 divide the log-level duty's 1000 ms: the shared tick stays coarse.
  return refreshMs >= 250 ? 250 : 100;
}

const STATUS = String.UTF8.encode(":status");
const ETAG = String.UTF8.encode("etag");
const MAX_ETAG_BYTES: usize = 256;
/** The `gen` value as it is written: static, so publishing allocates nothing for it. */
const GEN_VALUE = memory.data(8);

export class RulesFetcher extends Duty {
  private readonly keys: ServiceKeys;
  private readonly cluster: ArrayBuffer;
  /** This VM's holder id: random (the module may not read env.seed or Date.now). */
  private readonly me: u64;
  private readonly leaseValue: ArrayBuffer = new ArrayBuffer(LEASE_BYTES);
  private readonly metrics: FetchMetrics = new FetchMetrics();
  private holding: bool = false;
  private inFlight: bool = false;
  private token: u32 = 0;
  private sentAt: u64 = 0;
  private nextAt: u64 = 0;
  private failures: i32 = 0;
  /** The version in force (null: the configuration's routes, or passthrough) and its ETag. */
  private version: string | null = null;
  private etag: string | null = null;
  /** The last `gen` this worker acted on. */
  private seenGen: u64 = 0;

  constructor(
    private readonly service: RulesService,
    /** What documents are compiled with: the configuration's key sources and decision header. */
    private readonly keySources: KeySource[],
    private readonly decisionHeader: string | null,
    /** The header a table's version goes in (RuleTable.setVersion), or null. */
    private readonly versionHeader: string | null,
    private readonly root: StreamRoot,
  ) {
    super(runPeriodMs(service.refreshMs));
    this.keys = new ServiceKeys(service);
    this.cluster = String.UTF8.encode(service.cluster);
    this.me = randomU64() | 1; // never 0: 0 reads as "not a lease"
  }

  /** On configure (host calls are allowed from there). */
  start(routes: i32): void {
    this.metrics.define();
    this.metrics.routes(routes);
  }

  /**
   * The root is done (Envoy replaced the configuration): a lease this worker holds is handed back
   * (written as expired, with CAS), so that the new configuration's fetcher takes over on its next
   * tick instead of waiting LEASE_PERIODS for it to run out.
   */
  stop(): void {
    if (!this.holding) return;
    this.holding = false;
    let key = this.keys.lease;
    if (getSharedDataRaw(changetype<usize>(key), <usize>key.byteLength) != WasmResultValues.Ok) return;
    let ptr = hostBytesPtr();
    let mine = leaseHolder(ptr, hostBytesLen()) == this.me;
    let cas = sharedCas();
    freeHostBytes(ptr);
    if (!mine) return;
    let value = changetype<usize>(this.leaseValue);
    encodeLease(value, this.me, 0);
    setSharedDataRaw(changetype<usize>(key), <usize>key.byteLength, value, <usize>LEASE_BYTES, cas);
  }

  run(): void {
    let now = nowMs();
    this.adopt();
    this.lease(now);
    if (this.inFlight && now - this.sentAt > <u64>calloutTimeoutMs(this.service) + <u64>this.service.refreshMs + 5000) {
      // Envoy always answers (504 at the timeout); a callout that never did is given up on.
      this.inFlight = false;
      this.failed(now, FailReason.Timeout, "no answer within the timeout");
    }
    if (this.holding && !this.inFlight && now >= this.nextAt) this.fetch(now);
  }

  // --- adopt what another worker (or this one) published ---

  private adopt(): void {
    let gen = this.readGeneration();
    if (gen == 0 || gen == this.seenGen) return;
    this.seenGen = gen;
    let key = this.keys.doc;
    if (getSharedDataRaw(changetype<usize>(key), <usize>key.byteLength) != WasmResultValues.Ok) return;
    let ptr = hostBytesPtr();
    let p = decodePublished(ptr, hostBytesLen());
    if (p.ok) {
      let v = this.version;
      if (v === null || v != p.version) {
        let mark = heldMark();
        hold(p); // the compile collects between routes (gc.ts)
        let c = compileRulesDocument(p.docPtr, p.docLen, this.keySources, this.decisionHeader);
        letGoTo(mark);
        let table = c.table;
        if (table !== null) this.swap(table, p.version, gen, "adopted");
        else log(LogLevelValues.warn, "routekey: rules version '" + p.version + "' refused: " + c.error! + "; keeping " + this.kept());
      }
      this.etag = p.etag.length > 0 ? p.etag : null;
    }
    freeHostBytes(ptr);
  }

  private readGeneration(): u64 {
    let key = this.keys.gen;
    if (getSharedDataRaw(changetype<usize>(key), <usize>key.byteLength) != WasmResultValues.Ok) return 0;
    let ptr = hostBytesPtr();
    let gen = decodeGeneration(ptr, hostBytesLen());
    freeHostBytes(ptr);
    return gen;
  }

  private swap(table: RuleTable, version: string, gen: u64, how: string): void {
    table.setVersion(this.versionHeader, version);
    this.root.install(table);
    this.version = version;
    this.metrics.swap(table.routeCount, gen);
    if (logEnabled(LogLevelValues.info)) {
      let n = table.routeCount;
      log(LogLevelValues.info, "routekey: rules version '" + version + "' " + how + " (" + n.toString() +
        (n == 1 ? " route" : " routes") + (table.defaultAction >= 0 ? " and a default)" : ", no default)"));
    }
  }

  // --- the lease: one fetcher per proxy ---

  private lease(now: u64): void {
    let key = this.keys.lease;
    let keyPtr = changetype<usize>(key);
    let keyLen = <usize>key.byteLength;
    let ttl = <u64>this.service.refreshMs * LEASE_PERIODS;
    let present = getSharedDataRaw(keyPtr, keyLen) == WasmResultValues.Ok;
    let ptr = hostBytesPtr();
    let cas = sharedCas();
    let step = leaseStep(present, ptr, hostBytesLen(), this.me, now, ttl);
    freeHostBytes(ptr);
    if (step == LeaseStep.Hold) {
      this.holding = true;
    } else if (step == LeaseStep.Other) {
      this.holding = false;
    } else {
      let value = changetype<usize>(this.leaseValue);
      encodeLease(value, this.me, now + ttl);
      let w = setSharedDataRaw(keyPtr, keyLen, value, <usize>LEASE_BYTES, step == LeaseStep.Claim ? 0 : cas);
      if (w == WasmResultValues.Ok && step == LeaseStep.Claim) {
        // A set on an absent key cannot be conditional: read back who won.
        w = getSharedDataRaw(keyPtr, keyLen);
        let back = hostBytesPtr();
        if (w == WasmResultValues.Ok && leaseHolder(back, hostBytesLen()) != this.me) w = WasmResultValues.CasMismatch;
        freeHostBytes(back);
      }
      this.holding = w == WasmResultValues.Ok;
    }
  }

  // --- fetching ---

  private fetch(now: u64): void {
    let pairs = serializePairs(requestHeaders(this.service, this.etag));
    this.metrics.attempted();
    this.sentAt = now;
    let r = httpCallRaw(changetype<usize>(this.cluster), <usize>this.cluster.byteLength,
      changetype<usize>(pairs), <usize>pairs.byteLength, calloutTimeoutMs(this.service));
    if (r != WasmResultValues.Ok) {
      this.failed(now, FailReason.Connect, "the host refused the call (an unknown cluster?)");
      return;
    }
    this.token = calloutToken();
    this.inFlight = true;
  }

  /** The answer to a callout of this root (false: not this fetcher's, e.g. a stale token). */
  onResponse(token: u32, headers: u32, bodySize: u32): bool {
    if (!this.inFlight || token != this.token) return false;
    this.inFlight = false;
    let now = nowMs();
    if (headers == 0) {
      this.failed(now, FailReason.Connect, "the connection was reset");
      return true;
    }
    let status = readStatus();
    if (status == 304) {
      this.metrics.unchanged();
      this.succeeded(now, false);
    } else if (status == 200) {
      this.received(now, bodySize);
    } else if (status == 503) {
      this.failed(now, FailReason.Connect, "status 503 (no connection or server unavailable)");
    } else if (status == 504) {
      this.failed(now, FailReason.Timeout, "status 504 (timed out after " + calloutTimeoutMs(this.service).toString() + " ms)");
    } else {
      this.failed(now, FailReason.Status, "status " + status.toString());
    }
    return true;
  }

  private received(now: u64, bodySize: u32): void {
    if (bodySize > this.service.maxBytes) {
      this.failed(now, FailReason.TooLarge, bodySize.toString() + " bytes, over maxBytes " + this.service.maxBytes.toString());
      return;
    }
    let ptr: usize = 0;
    let len: usize = 0;
    if (readCalloutBody(bodySize)) {
      ptr = hostBytesPtr();
      len = hostBytesLen();
    }
    let c = compileRulesDocument(ptr, <i32>len, this.keySources, this.decisionHeader);
    let etag = readEtag(); // after the compile: it collects between routes, and `etag` is not held (gc.ts)
    let table = c.table;
    if (table === null) {
      freeHostBytes(ptr);
      this.failed(now, FailReason.Invalid, "invalid document: " + c.error!);
      return;
    }
    let version = c.version!;
    let v = this.version;
    let changed = v === null || v != version;
    if (changed) {
      let gen = this.publish(version, etag, ptr, <i32>len);
      this.seenGen = gen;
      this.swap(table, version, gen, "fetched");
    } else {
      table.retire(); // the same version again (a server without ETags): nothing to swap
    }
    this.etag = etag;
    freeHostBytes(ptr);
    this.metrics.succeeded();
    this.succeeded(now, changed);
  }

  /** Publishes the document for the other workers; returns the new generation. */
  private publish(version: string, etag: string | null, docPtr: usize, docLen: i32): u64 {
    let e = etag !== null ? etag : "";
    let size = publishedSize(String.UTF8.byteLength(version), String.UTF8.byteLength(e), docLen);
    let block = heap.alloc(<usize>size); // raw: a 16 MiB document is not left to the GC
    encodePublished(block, version, e, docPtr, docLen);
    let doc = this.keys.doc;
    setSharedDataRaw(changetype<usize>(doc), <usize>doc.byteLength, block, <usize>size, 0);
    heap.free(block);
    // `gen` after `doc`: a worker that sees the new gen finds the new doc.
    let key = this.keys.gen;
    let gen: u64 = 0;
    for (let attempt = 0; attempt < 4; attempt++) {
      let cas: u32 = 0;
      let old: u64 = 0;
      if (getSharedDataRaw(changetype<usize>(key), <usize>key.byteLength) == WasmResultValues.Ok) {
        let ptr = hostBytesPtr();
        old = decodeGeneration(ptr, hostBytesLen());
        cas = sharedCas();
        freeHostBytes(ptr);
      }
      gen = old + 1;
      store<u64>(GEN_VALUE, gen);
      if (setSharedDataRaw(changetype<usize>(key), <usize>key.byteLength, GEN_VALUE, 8, cas) != WasmResultValues.CasMismatch) break;
    }
    return gen;
  }

  private succeeded(now: u64, changed: bool): void {
    this.failures = 0;
    let s = this.service;
    if (s.longPollSeconds > 0 && this.holding &&
        (changed || now - this.sentAt >= <u64>s.longPollSeconds * 500)) {
      // A long poll came back (the rules changed, or the wait ended): ask again at once. An
      // answer much quicker than the wait came from a server that ignores Prefer: poll instead.
      this.fetch(now);
      return;
    }
    this.nextAt = this.sentAt + <u64>s.refreshMs;
  }

  private failed(now: u64, reason: FailReason, what: string): void {
    this.failures++;
    this.metrics.failedFor(reason);
    let delay = nextDelayMs(this.failures, this.service.refreshMs, <u32>randomU64());
    this.nextAt = now + delay;
    log(LogLevelValues.warn, "routekey: rules fetch failed (" + reasonName(reason) + "): " + what + "; keeping " +
      this.kept() + "; next try in " + (<u32>delay).toString() + " ms");
  }

  /** What stays in force, for log lines. */
  private kept(): string {
    let v = this.version;
    if (v !== null) return "rules version '" + v + "'";
    return this.service.initial == Initial.Passthrough ? "no rules (requests pass unchanged)" : "the configuration's routes";
  }
}

/** The callout response's :status, or 0. */
function readStatus(): i32 {
  if (!getHeaderRaw(HeaderMap.CalloutResponse, changetype<usize>(STATUS), <usize>STATUS.byteLength)) return 0;
  let ptr = hostBytesPtr();
  let len = hostBytesLen();
  let status = 0;
  if (len == 3) {
    for (let i: usize = 0; i < 3; i++) {
      let c = <i32>load<u8>(ptr + i) - 0x30;
      if (c < 0 || c > 9) { status = 0; break; }
      status = status * 10 + c;
    }
  }
  freeHostBytes(ptr);
  return status;
}

/** The callout response's ETag when it can be sent back as If-None-Match, else null. */
function readEtag(): string | null {
  if (!getHeaderRaw(HeaderMap.CalloutResponse, changetype<usize>(ETAG), <usize>ETAG.byteLength)) return null;
  let ptr = hostBytesPtr();
  let len = hostBytesLen();
  let ok = len > 0 && len <= MAX_ETAG_BYTES;
  for (let i: usize = 0; ok && i < len; i++) {
    let c = load<u8>(ptr + i);
    if (c < 0x20 || c >= 0x7F) ok = false;
  }
  let etag = ok ? String.UTF8.decodeUnsafe(ptr, len) : null;
  freeHostBytes(ptr);
  return etag;
}
