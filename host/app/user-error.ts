// A failure already phrased for the user in one line (the CLI prints it without a stack, exit 1).
// Its own module so that the commands' modules can throw it without importing cli.ts.
export class UserError extends Error {
  override name = 'UserError';
}

/** Runs a file reader, turning its "cannot read this file" error into one line naming the file. */
export function aboutFile<T>(file: string, read: () => T, unreadable: (e: unknown) => boolean): T {
  try {
    return read();
  } catch (e) {
    if (unreadable(e)) throw new UserError(`${file}: ${(e as Error).message.split('\n')[0]}`);
    throw e;
  }
}
