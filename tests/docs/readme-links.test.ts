// The README is read inside the repository (and offline): every link in it points at a file of
// the repository or at one of its own sections, never outside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
// Markdown links and images, also when the text spans lines: ](target) and <scheme:…>.
const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
const autolinks = [...readme.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)].map((m) => m[1]!);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}
const anchors = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));

test('README links point inside the repository', () => {
  assert.ok(targets.length > 5, 'the README has links (the pattern finds them)');
  const outside = [...targets.filter((t) => /^[a-z][a-z0-9+.-]*:/i.test(t) || t.startsWith('//')), ...autolinks];
  assert.deepEqual(outside, [], 'links outside the repository');
});

test('README links to files and sections that exist', () => {
  for (const t of targets) {
    if (t.startsWith('#')) assert.ok(anchors.has(t.slice(1)), `no section for ${t}`);
    else assert.ok(existsSync(new URL(`../../${t.split('#')[0]}`, import.meta.url)), `no file ${t}`);
  }
});
