// `routekey explain --table FILE`: requests with the outcome each should have, in the spirit of
// Envoy's router check tool, so a team can test its rules in CI. FILE (YAML or JSON) is a list:
//
//   - name: dev goes to the dev cluster          # optional, for messages
//     request: {headers: {environment: dev}, path: /hello, authority: localhost, method: GET}
//     expect: {route: dev, authority: dev.demo, headers: {dispatched: "true", x-gone: null},
//              virtualHost: dev.demo, cluster: dev}
//
// Every field of request and expect is optional (but expect must check something); `headers: {NAME: null}` expects NAME absent;
// route is the filter's decision (a route's name, default or passthrough); virtualHost and
// cluster need an Envoy bootstrap. Each mismatch is one line; any mismatch fails the table.

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { headerValue, type ExplainRequest, type ExplainTarget, type Explained } from './explain-target.ts';
import { UserError } from './user-error.ts';

export interface TableEntry {
  label: string;
  request: ExplainRequest;
  expect: { route?: string; authority?: string; headers?: Record<string, string | null>; cluster?: string; virtualHost?: string };
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const REQUEST_FIELDS = ['headers', 'path', 'authority', 'method'];
const EXPECT_FIELDS = ['route', 'authority', 'headers', 'cluster', 'virtualHost'];

function fields(v: unknown, at: string, allowed: string[]): Obj {
  if (v === undefined) return {};
  if (!isObject(v)) throw new UserError(`${at}: expected an object`);
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw new UserError(`${at}.${k}: unknown field (expected one of ${allowed.join(', ')})`);
  return v;
}

function text(v: unknown, at: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new UserError(`${at}: expected a string`);
}

function headerMap(v: unknown, at: string, allowNull: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (v === undefined) return out;
  if (!isObject(v)) throw new UserError(`${at}: expected {NAME: VALUE}`);
  for (const [k, val] of Object.entries(v)) out[k] = allowNull && val === null ? null : text(val, `${at}.${k}`)!;
  return out;
}

export function readTable(file: string): TableEntry[] {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(doc) || doc.length === 0) throw new UserError(`${file}: expected a list of {request, expect} entries`);
  return doc.map((entry, i) => {
    const at = `${file}: [${i}]`;
    const e = fields(entry, at, ['name', 'request', 'expect']);
    const r = fields(e.request, `${at}.request`, REQUEST_FIELDS);
    const x = fields(e.expect, `${at}.expect`, EXPECT_FIELDS);
    const request: ExplainRequest = {
      method: text(r.method, `${at}.request.method`) ?? 'GET',
      path: text(r.path, `${at}.request.path`) ?? '/',
      authority: text(r.authority, `${at}.request.authority`) ?? 'localhost',
      headers: Object.entries(headerMap(r.headers, `${at}.request.headers`, false)) as Array<[string, string]>,
    };
    const expect: TableEntry['expect'] = {
      route: text(x.route, `${at}.expect.route`),
      authority: text(x.authority, `${at}.expect.authority`),
      headers: x.headers === undefined ? undefined : headerMap(x.headers, `${at}.expect.headers`, true),
      cluster: text(x.cluster, `${at}.expect.cluster`),
      virtualHost: text(x.virtualHost, `${at}.expect.virtualHost`),
    };
    // An entry that expects nothing passes whatever the filter does: a test that cannot fail.
    if (Object.values(expect).every((v) => v === undefined)) throw new UserError(`${at}.expect: nothing to check (expected one of ${EXPECT_FIELDS.join(', ')})`);
    const label = `[${i}]${typeof e.name === 'string' ? ` ${e.name}` : ''} (${request.method} ${request.authority}${request.path})`;
    return { label, request, expect };
  });
}

/** The mismatches of one entry, each `field: expected X, got Y`. */
export function mismatches(entry: TableEntry, got: Explained): string[] {
  const out: string[] = [];
  const check = (field: string, want: string | null | undefined, have: string | undefined) => {
    if (want === undefined || want === (have ?? null)) return;
    out.push(`${field}: expected ${want === null ? 'absent' : JSON.stringify(want)}, got ${have === undefined ? 'absent' : JSON.stringify(have)}`);
  };
  const x = entry.expect;
  check('route', x.route, got.decision.route);
  check('authority', x.authority, headerValue(got.decision.headers, ':authority'));
  for (const [name, value] of Object.entries(x.headers ?? {})) check(`headers.${name}`, value, headerValue(got.decision.headers, name));
  const r = got.routing;
  check('virtualHost', x.virtualHost, r?.virtualHost);
  check('cluster', x.cluster, r?.cluster);
  return out;
}

/** Runs every entry; prints one line per mismatch and a summary; returns the exit code. */
export function runTable(file: string, entries: TableEntry[], target: ExplainTarget): number {
  if (!target.hasBootstrap) {
    const i = entries.findIndex((e) => e.expect.cluster !== undefined || e.expect.virtualHost !== undefined);
    if (i >= 0) throw new UserError(`${file}: [${i}].expect: cluster and virtualHost need an Envoy bootstrap as --config (the rules alone have no routes)`);
  }
  let failed = 0;
  for (const e of entries) {
    const found = mismatches(e, target.explain(e.request));
    if (found.length > 0) failed++;
    for (const m of found) console.error(`${file}: ${e.label}: ${m}`);
  }
  console.log(failed === 0 ? `${file}: ${entries.length} requests, all as expected` : `${file}: ${failed} of ${entries.length} requests not as expected`);
  return failed === 0 ? 0 : 1;
}
