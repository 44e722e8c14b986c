// routekey rules-server in process (host/app/rules-server.ts) over real HTTP on 127.0.0.1: ETag and
// 304, long-poll answered by an edit and timed out, edits the built filter refuses (the last good
// version stays), a file bad from the start (503 until fixed). Every wait is bounded.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wasmIsStale } from '../../../host/app/demo/index.ts';
import { etagOf, noneMatch, preferWait, startRulesServer, type RulesServer } from '../../../host/app/rules-server.ts';
import { UserError } from '../../../host/app/user-error.ts';

const noWasm = wasmIsStale() ? 'build/routekey.wasm is missing or stale (npm run build)' : false;

const doc = (version: string, destination = 'http://dev.demo') =>
  JSON.stringify({ version, routes: [{ name: 'qa', keys: ['qa'], destination }] });
/** The filter refuses this one: port 0 (routes[0].destination). */
const BAD = doc('bad', 'dev.demo:0');

test('preferWait: RFC 7240 wait among other preferences, capped at 300', () => {
  assert.equal(preferWait(undefined), 0);
  assert.equal(preferWait('wait=30'), 30);
  assert.equal(preferWait('respond-async, wait=5'), 5);
  assert.equal(preferWait(['return=minimal', 'Wait = 7']), 7);
  assert.equal(preferWait('wait=9999'), 300);
  assert.equal(preferWait('wait=abc'), 0);
});

test('noneMatch: the listed tags, weak ones too, and *', () => {
  assert.equal(noneMatch(undefined, '"a"'), false);
  assert.equal(noneMatch('"b", "a"', '"a"'), true);
  assert.equal(noneMatch('W/"a"', '"a"'), true);
  assert.equal(noneMatch('*', '"a"'), true);
  assert.equal(noneMatch('"ab"', '"a"'), false);
  assert.notEqual(etagOf(Buffer.from('x')), etagOf(Buffer.from('y')));
  assert.match(etagOf(Buffer.from('x')), /^"[A-Za-z0-9_-]+"$/);
});

describe('rules-server over 127.0.0.1', { skip: noWasm, timeout: 60_000 }, () => {
  let dir = '';
  let file = '';
  let badFile = '';
  let server: RulesServer;
  const logs: string[] = [];
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  /** Writes `text` to `f` and waits for the server to have checked it (bounded). */
  const edit = async (f: string, text: string) => {
    const checked = server.nextCheck(f);
    writeFileSync(f, text);
    await Promise.race([checked, new Promise((_, fail) => setTimeout(() => fail(new Error(`${f}: no check within 3 s; logs:\n${logs.join('\n')}`)), 3000))]);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'routekey-rules-server-'));
    file = join(dir, 'rules.json');
    badFile = join(dir, 'broken.json');
    writeFileSync(file, doc('v1'));
    writeFileSync(badFile, BAD);
    server = await startRulesServer({ files: [file, badFile], port: 0, log: (l) => logs.push(l) });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('200 with a quoted strong ETag, then 304 for If-None-Match; one publish line per version', async () => {
    const r = await fetch(url('/rules.json'));
    assert.equal(r.status, 200);
    const etag = r.headers.get('etag')!;
    assert.equal(etag, etagOf(Buffer.from(doc('v1'))));
    assert.equal(await r.text(), doc('v1'));
    const again = await fetch(url('/rules.json'), { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('preference-applied'), null, 'no wait asked, none applied');
    assert.equal(logs.filter((l) => l.includes(`published ${file} version 'v1' etag ${etag}`)).length, 1, logs.join('\n'));
    assert.equal((await fetch(url('/nope.json'))).status, 404);
    assert.equal((await fetch(url('/rules.json'), { method: 'POST', body: 'x' })).status, 405);
  });

  test('long-poll with the current ETag times out with 304 and preference-applied', async () => {
    const etag = (await fetch(url('/rules.json'))).headers.get('etag')!;
    const t0 = Date.now();
    const r = await fetch(url('/rules.json'), { headers: { 'if-none-match': etag, prefer: 'wait=1' } });
    const held = Date.now() - t0;
    assert.equal(r.status, 304);
    assert.equal(r.headers.get('preference-applied'), 'wait=1');
    assert.ok(held >= 950 && held < 3000, `held ${held} ms`);
  });

  test('long-poll with an old ETag answers at once with the document', async () => {
    const t0 = Date.now();
    const r = await fetch(url('/rules.json'), { headers: { 'if-none-match': '"old"', prefer: 'wait=30' } });
    assert.equal(r.status, 200);
    assert.ok(Date.now() - t0 < 1000);
  });

  test('long-poll is answered early by an edit, with the new document', async () => {
    const etag = (await fetch(url('/rules.json'))).headers.get('etag')!;
    const t0 = Date.now();
    const poll = fetch(url('/rules.json'), { headers: { 'if-none-match': etag, prefer: 'wait=30' } });
    await new Promise((r) => setTimeout(r, 100));
    await edit(file, doc('v2'));
    const r = await poll;
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('preference-applied'), 'wait=30');
    assert.equal(r.headers.get('etag'), etagOf(Buffer.from(doc('v2'))));
    assert.equal(await r.text(), doc('v2'));
    assert.ok(Date.now() - t0 < 3000, `answered after ${Date.now() - t0} ms`);
  });

  test('an edit the filter refuses is logged once with its reason; the last good version is served', async () => {
    const before = logs.length;
    await edit(file, BAD);
    const refusals = logs.slice(before).filter((l) => l.includes(`refused ${file}`));
    assert.equal(refusals.length, 1, logs.join('\n'));
    assert.match(refusals[0]!, /routes\[0\]\.destination: expected a port from 1 to 65535.*still serving version 'v2'/);
    const r = await fetch(url('/rules.json'));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), doc('v2'));
    // Not JSON at all: refused the same way.
    await edit(file, '{"version": "v3", ');
    assert.equal(await (await fetch(url('/rules.json'))).text(), doc('v2'));
    // Fixed: published.
    await edit(file, doc('v4'));
    assert.equal(await (await fetch(url('/rules.json'))).text(), doc('v4'));
  });

  test('a file bad from the start answers 503 with one line naming why, then 200 once fixed', async () => {
    const r = await fetch(url('/broken.json'));
    assert.equal(r.status, 503);
    const text = await r.text();
    assert.match(text, /^broken\.json: no valid rules document yet: routes\[0\]\.destination: expected a port from 1 to 65535.*\n$/);
    assert.equal(text.trimEnd().split('\n').length, 1);
    assert.ok(logs.some((l) => l.includes(`refused ${badFile}`) && l.includes('serving 503 until it is fixed')));
    await edit(badFile, doc('fixed'));
    const fixed = await fetch(url('/broken.json'));
    assert.equal(fixed.status, 200);
    assert.equal(await fixed.text(), doc('fixed'));
  });

  test('new bytes under the same version: published with a warning (the filter would not swap it)', async () => {
    const text = `${doc('v4')}\n`;
    await edit(file, text);
    assert.ok(logs.some((l) => l.includes("same version 'v4'")), logs.join('\n'));
    assert.equal(await (await fetch(url('/rules.json'))).text(), text);
  });
});

test('two files with the same name are refused (they would share a path)', { skip: noWasm }, async () => {
  await assert.rejects(startRulesServer({ files: ['a/rules.json', 'b/rules.json'], port: 0 }), (e: unknown) => e instanceof UserError && /both be served at \/rules\.json/.test(e.message));
});

test('close answers a held long-poll with 304 and stops listening', { skip: noWasm, timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'routekey-rules-server-'));
  try {
    const file = join(dir, 'r.json');
    writeFileSync(file, doc('v1'));
    const server = await startRulesServer({ files: [file], port: 0, log: () => {} });
    const u = `http://127.0.0.1:${server.port}/r.json`;
    const etag = (await fetch(u)).headers.get('etag')!;
    const poll = fetch(u, { headers: { 'if-none-match': etag, prefer: 'wait=60' } });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await server.close();
    assert.equal((await poll).status, 304);
    assert.ok(Date.now() - t0 < 2000);
    await assert.rejects(fetch(u));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
