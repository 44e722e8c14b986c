// `routekey rules-server FILE…`: serves rules documents (README, "Live rules") to the filter's
// rulesService, from files a user edits.
//
//   GET /<basename of FILE>   200 the document, with a strong ETag derived from its bytes
//                             304 when If-None-Match names the current ETag
//                             503 (one-line reason) while FILE has never held a valid document
//   prefer: wait=N            with If-None-Match = the current ETag: held until the file changes
//                             (200, the new document) or N s pass (304); N is capped at 300 and
//                             the answer says `preference-applied: wait=N`.
//
// Every new version of a file is checked by the filter itself (checkRulesDocument, the code path
// of `routekey validate`), so a document the filter would refuse is never published: the server
// logs the filter's reason and keeps serving the last good version. That keeps a typo in an edit
// from reaching every proxy as a fetch failure; the filter would keep its rules anyway, but the
// author learns it here, at once, naming the field.

import { createHash } from 'node:crypto';
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { basename, dirname, resolve } from 'node:path';
import { checkRulesDocument, DEFAULT_WASM } from './validate.ts';
import { UserError } from './user-error.ts';

/** The longest wait a client may ask for (the filter's longPollSeconds goes up to 300 too). */
export const MAX_WAIT_SECONDS = 300;

export interface RulesServerOptions {
  files: string[];
  port?: number;
  host?: string;
  /** The module whose parser decides what may be published (default build/routekey.wasm). */
  wasm?: string | Uint8Array;
  /** One line per publish, refusal or problem (default: stderr). */
  log?: (line: string) => void;
  /** The stat poll that backs fs.watch up (network filesystems, editors that replace the file). */
  pollMs?: number;
  /** Quiet time after a change before the file is read: an editor's save is often several writes. */
  debounceMs?: number;
}

export interface RulesServer {
  address: string;
  port: number;
  /** The URL path each file is served at, by file as given. */
  paths: Map<string, string>;
  /** Stops watching, answers held requests (304) and closes the listener. */
  close(): Promise<void>;
  /** Resolves after the next check of `file` (given as on the command line) finished. */
  nextCheck(file: string): Promise<void>;
}

interface Published {
  body: Buffer;
  etag: string;
  version: string;
}

/** One served file: what is published, why nothing is (503), and the requests held on it. */
interface Served {
  file: string;
  name: string;
  current?: Published;
  /** Why there is nothing to serve yet (a bad-from-start file): the 503's one line. */
  problem?: string;
  /** The hash of the bytes last checked, good or bad: unchanged bytes are not checked again. */
  checked?: string;
  /** Last seen stat (mtime, size, inode): the poll's change test. */
  stamp?: string;
  /** Checks run one at a time per file, in order. */
  queue: Promise<void>;
  debounce?: NodeJS.Timeout;
  /** Held long-poll requests: called with the new document when it changes. */
  waiters: Set<(p: Published) => void>;
  checkListeners: Array<() => void>;
}

/** A strong ETag from the bytes: any edit changes it, the same bytes keep it across restarts. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/**
 * The wait a request asks for: RFC 7240 `prefer: wait=N` (several preferences per header, several
 * headers), capped at MAX_WAIT_SECONDS; 0 when it asks for none.
 */
export function preferWait(prefer: string | string[] | undefined): number {
  const values = Array.isArray(prefer) ? prefer : prefer === undefined ? [] : [prefer];
  for (const value of values) {
    for (const pref of value.split(',')) {
      const m = /^\s*wait\s*=\s*"?(\d+)"?\s*(;.*)?$/i.exec(pref);
      if (m) return Math.min(Number(m[1]), MAX_WAIT_SECONDS);
    }
  }
  return 0;
}

/** If-None-Match against an ETag: `*` or any listed tag, compared weakly as RFC 9110 §13.1.2 says. */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const strip = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => strip(t) === etag);
}

/** Starts the server once every file has been read and checked (a bad one is served as 503). */
export async function startRulesServer(opts: RulesServerOptions): Promise<RulesServer> {
  const log = opts.log ?? ((l: string) => console.error(l));
  const pollMs = opts.pollMs ?? 500;
  const debounceMs = opts.debounceMs ?? 50;
  const wasm = typeof opts.wasm === 'object' ? opts.wasm : new Uint8Array(readFileSync(opts.wasm ?? DEFAULT_WASM));

  const byName = new Map<string, Served>();
  const paths = new Map<string, string>();
  for (const file of opts.files) {
    const name = basename(file);
    const other = byName.get(name);
    if (other) throw new UserError(`${other.file} and ${file} would both be served at /${name}: give files with different names`);
    byName.set(name, { file, name, queue: Promise.resolve(), waiters: new Set(), checkListeners: [] });
    paths.set(file, `/${name}`);
  }

  const check = (s: Served) => {
    s.queue = s.queue.then(() => load(s)).catch((e: unknown) => log(`routekey rules-server: ${s.file}: ${(e as Error).message}`)).then(() => {
      for (const l of s.checkListeners.splice(0)) l();
    });
    return s.queue;
  };

  async function load(s: Served) {
    let body: Buffer;
    try {
      body = await readFile(s.file);
    } catch (e) {
      // Mid-save (an editor's rename) or deleted: keep what is published; the next change re-reads.
      return refuse(s, `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const hash = etagOf(body);
    if (hash === s.checked) return;
    s.checked = hash;
    const problems = await checkRulesDocument(body, wasm);
    if (problems.length > 0) return refuse(s, problems[0]!);
    const version = (JSON.parse(body.toString('utf8')) as { version: string }).version;
    if (s.current && s.current.version === version) {
      // The filter does not swap a document whose version it already has: say so, or an edit
      // that forgot the version would look published and change nothing.
      log(`routekey rules-server: ${s.file}: warning: new content under the same version '${version}': filters that have it keep their rules; change "version"`);
    }
    s.current = { body, etag: hash, version };
    s.problem = undefined;
    log(`routekey rules-server: published ${s.file} version '${version}' etag ${hash} at /${s.name}`);
    for (const w of [...s.waiters]) w(s.current);
  }

  function refuse(s: Served, why: string) {
    if (s.current) {
      log(`routekey rules-server: refused ${s.file}: ${why}; still serving version '${s.current.version}'`);
    } else {
      s.problem = `${s.name}: no valid rules document yet: ${why}`;
      log(`routekey rules-server: refused ${s.file}: ${why}; serving 503 until it is fixed`);
    }
  }

  const schedule = (s: Served) => {
    clearTimeout(s.debounce);
    s.debounce = setTimeout(() => void check(s), debounceMs);
  };

  const stampOf = (file: string) => {
    try {
      const st = statSync(file);
      return `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return 'missing';
    }
  };

  // The directory is watched, not the file: editors that save by writing a new file and renaming
  // it over the old one would leave a watch on the file itself looking at a deleted inode.
  const watchers: FSWatcher[] = [];
  for (const dir of new Set([...byName.values()].map((s) => dirname(resolve(s.file))))) {
    try {
      const w = watch(dir, (_event, changed) => {
        for (const s of byName.values()) {
          if (dirname(resolve(s.file)) === dir && (changed === null || changed === s.name)) schedule(s);
        }
      });
      w.on('error', () => w.close()); // the poll below still sees changes
      watchers.push(w);
    } catch {
      // No fs.watch here (some containers, network filesystems): the poll is enough.
    }
  }
  for (const s of byName.values()) s.stamp = stampOf(s.file);
  const poll = setInterval(() => {
    for (const s of byName.values()) {
      const stamp = stampOf(s.file);
      if (stamp !== s.stamp) {
        s.stamp = stamp;
        schedule(s);
      }
    }
  }, pollMs);
  poll.unref();

  await Promise.all([...byName.values()].map((s) => check(s)));

  const held = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const s = path.startsWith('/') ? byName.get(decodeURIComponent(path.slice(1))) : undefined;
    const plain = (status: number, text: string, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', ...headers });
      res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'only GET and HEAD', { allow: 'GET, HEAD' });
    if (!s) return plain(404, `no rules document at ${path}; served: ${[...byName.keys()].map((n) => `/${n}`).join(', ')}`);
    if (!s.current) return plain(503, s.problem ?? `${s.name}: not read yet`, { 'retry-after': '1' });

    const send = (p: Published, applied?: number) => {
      const headers: http.OutgoingHttpHeaders = { etag: p.etag, 'cache-control': 'no-cache', 'x-rules-version': p.version };
      if (applied !== undefined) headers['preference-applied'] = `wait=${applied}`;
      if (noneMatch(req.headers['if-none-match'], p.etag)) {
        res.writeHead(304, headers);
        return res.end();
      }
      res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': p.body.length });
      res.end(req.method === 'HEAD' ? undefined : p.body);
    };

    const wait = preferWait(req.headers.prefer);
    if (wait === 0 || !noneMatch(req.headers['if-none-match'], s.current.etag)) return send(s.current);

    // Long-poll: the client has the current version; answer when that stops being true.
    const done = (p: Published) => {
      cleanup();
      send(p, wait);
    };
    const timer = setTimeout(() => done(s.current!), wait * 1000);
    const release = () => done(s.current!);
    const cleanup = () => {
      clearTimeout(timer);
      s.waiters.delete(done);
      held.delete(release);
    };
    s.waiters.add(done);
    held.add(release);
    res.on('close', cleanup); // the client gave up: nothing to answer
  });
  // A held request may legitimately last MAX_WAIT_SECONDS: Node's default request timeout (300 s)
  // would cut the longest waits just short.
  server.requestTimeout = (MAX_WAIT_SECONDS + 60) * 1000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => {
      server.off('error', fail);
      ok();
    });
  });
  const a = server.address() as { address: string; port: number };

  return {
    address: a.address,
    port: a.port,
    paths,
    nextCheck: (file) => {
      const s = [...byName.values()].find((x) => x.file === file);
      return s ? new Promise((ok) => s.checkListeners.push(ok)) : Promise.reject(new Error(`${file} is not served`));
    },
    close: async () => {
      clearInterval(poll);
      for (const w of watchers) w.close();
      for (const s of byName.values()) clearTimeout(s.debounce);
      // Held requests get their 304 now (nothing changed), so a client sees a clean answer and
      // asks the next server; then the idle keep-alive connections go.
      for (const release of [...held]) release();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeIdleConnections();
        // A connection whose answer was just written turns idle a moment later.
        setTimeout(() => server.closeAllConnections(), 100).unref();
      });
      await Promise.allSettled([...byName.values()].map((s) => s.queue));
    },
  };
}
