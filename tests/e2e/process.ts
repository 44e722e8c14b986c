// The CLI as a child process (node host/app/cli.ts …, from the repository), for the e2e tests
// that run `routekey run` / `demo` as a user does: output collected, waited for, stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './harness.ts';

export interface Proc {
  child: ChildProcess;
  out: () => string;
  /** Resolves with the first match of `re` in stdout+stderr. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | null>;
  /** Exit code once it exits by itself (killed after `ms`). */
  wait(ms?: number): Promise<number | null>;
}

export function run(args: string[]): Proc {
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const listeners: Array<() => void> = [];
  const onData = (d: Buffer) => {
    text += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    out: () => text,
    waitFor: (re, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = text.match(re);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => reject(new Error(`no ${re} within ${ms} ms; output:\n${text}`)), ms);
        listeners.push(check);
        exited.then(() => setTimeout(() => reject(new Error(`exited before ${re}; output:\n${text}`)), 10));
        check();
      }),
    wait: async (ms = 15_000) => {
      const killer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}
