// For the tests of commands that end by themselves: the CLI's main(argv) run in this process
// with what it prints collected (console.log → out, console.error → err), a scratch directory,
// and the check that each mistake is reported in one line.
import { after, before, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../host/app/cli.ts';

export async function runMain(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = mock.method(console, 'log', (...a: unknown[]) => out.push(a.join(' ')));
  const error = mock.method(console, 'error', (...a: unknown[]) => err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mock.restore();
    error.mock.restore();
  }
}

/** A directory for the enclosing describe (removed after it); returns a writer of files in it. */
export function scratchFiles(prefix: string): (name: string, text: string) => string {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return (name, text) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
}

/** Each case: `routekey COMMAND ...args` exits with `code` and prints one line on stderr matching `re`. */
export async function assertOneLineErrors(command: string, cases: Array<[string[], number, RegExp]>) {
  for (const [args, code, re] of cases) {
    const r = await runMain(command, ...args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.err}`);
    assert.equal(r.err.split('\n').length, 1, r.err);
    assert.match(r.err, re);
  }
}
