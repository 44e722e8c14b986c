// The OCI image build (istio/Dockerfile, .dockerignore, make image) and the Node engine range:
// static checks plus `make image` on a machine without a Docker engine. Nothing is built here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, readText } from './deploy-helpers.ts';

/**
 * Docker's .dockerignore rules, enough for this file: patterns relative to the context root,
 * `*` and `?` within one path segment, `**` across segments, `!` re-includes, the last matching
 * line wins, and a pattern that matches a directory matches everything under it.
 */
function dockerIgnored(lines: string[], path: string): boolean {
  const rules = lines.map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).map((l) => {
    const negate = l.startsWith('!');
    const pattern = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
    const re = pattern.split('/').map((seg) =>
      seg === '**' ? '.*' : seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'),
    ).join('/');
    return { negate, re: new RegExp(`^${re}(/.*)?$`) };
  });
  let ignored = false;
  for (const r of rules) if (r.re.test(path)) ignored = !r.negate;
  return ignored;
}

const copySources = () =>
  readText('istio/Dockerfile').split('\n').filter((l) => /^\s*COPY\s/i.test(l))
    .flatMap((l) => l.trim().split(/\s+/).slice(1, -1).filter((a) => !a.startsWith('--')));

test('dockerIgnored: the matcher follows Docker\'s rules on the cases the test relies on', () => {
  assert.equal(dockerIgnored(['node_modules'], 'node_modules/yaml/package.json'), true, 'a directory pattern covers its contents');
  assert.equal(dockerIgnored(['*', '!build/x.wasm'], 'build/x.wasm'), false, 'a later ! re-includes');
  assert.equal(dockerIgnored(['!build/x.wasm', '*'], 'build/x.wasm'), true, 'the last match wins');
  assert.equal(dockerIgnored(['*.md'], 'docs/a.md'), false, '* stays within one segment');
  assert.equal(dockerIgnored(['**/*.md'], 'docs/a.md'), true);
});

test('.dockerignore: node_modules, .git and the sources stay out of the context; every COPY source is kept', () => {
  const lines = readText('.dockerignore').split('\n');
  for (const p of ['node_modules', 'node_modules/yaml/package.json', '.git/HEAD', 'assembly/index.ts', 'build/routekey.asc.wasm', 'bench/results.json']) {
    assert.equal(dockerIgnored(lines, p), true, `${p} is not sent`);
  }
  const sources = copySources();
  assert.deepEqual(sources, ['build/routekey.wasm'], 'what istio/Dockerfile copies (update this test and .dockerignore together)');
  for (const s of sources) assert.equal(dockerIgnored(lines, s), false, `${s} (COPY in istio/Dockerfile) is in the context`);
});

test('make image: listed by make help, and says plainly when there is no Docker engine', () => {
  const help = spawnSync('make', ['-s', 'help'], { cwd: ROOT, encoding: 'utf8', timeout: 10_000 });
  assert.match(help.stdout, /^ {2}make image +Build the OCI image for Istio/m);
  // A docker whose `info` fails, as on a machine with the client but no engine.
  const bin = mkdtempSync(join(tmpdir(), 'routekey-nodocker-'));
  try {
    writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "Cannot connect to the Docker daemon" >&2\nexit 1\n');
    chmodSync(join(bin, 'docker'), 0o755);
    const r = spawnSync('make', ['-s', 'image'], {
      cwd: ROOT, encoding: 'utf8', timeout: 10_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /make image: no Docker engine reachable \(docker info failed\)/);
    assert.doesNotMatch(r.stdout + r.stderr, /npm run build|docker build/, 'nothing is built before the engine check');
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
});

test('package.json engines: every locked package accepts the oldest Node the range allows', () => {
  // semver has no types here; through require it is `any`.
  const semver = createRequire(import.meta.url)('semver');
  const range: string = JSON.parse(readText('package.json')).engines.node;
  const oldest: string = semver.minVersion(range).version;
  assert.ok(semver.satisfies(process.version, range), `this Node (${process.version}) is in ${range}`);
  const lock = JSON.parse(readText('package-lock.json'));
  assert.equal(lock.packages[''].engines.node, range, 'package-lock.json carries the same range');
  const refusing = Object.entries(lock.packages as Record<string, { engines?: { node?: string } }>)
    .filter(([name, p]) => name && typeof p.engines?.node === 'string' && !semver.satisfies(oldest, p.engines.node))
    .map(([name, p]) => `${name} (${p.engines!.node})`);
  assert.deepEqual(refusing, [], `packages that refuse Node ${oldest}`);
});
