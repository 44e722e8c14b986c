// Error lines for the configuration: `<field path>: <what was expected>[, got <what came>]`,
// with the root named `configuration`.
//
// A problem is found deep inside the document but its path is only known on the way back up:
// each parser returns a Problem whose path is relative to the value it was given, and each
// caller prefixes its own field or index. Paths cost nothing unless there is an error (a config
// may hold 100k routes).
import { JsonValue, fieldPath, indexPath } from "../json";

export const ROOT = "configuration";

export class Problem {
  constructor(
    /** Relative to the value being parsed: "" (the value itself), `name`, `[3]`, `set.x-a`. */
    public path: string,
    /** What follows `<path>: `. */
    public readonly text: string,
  ) {}

  /** The same problem seen from the object holding the value in field `key`. */
  inField(key: string): Problem {
    this.path = join(fieldPath("", key), this.path);
    return this;
  }

  /** The same problem seen from the array holding the value at index `i`. */
  inIndex(i: i32): Problem {
    this.path = join(indexPath("", i), this.path);
    return this;
  }

  /** The error line, the root named `root` (`configuration`; a rules document's is `document`). */
  line(root: string = ROOT): string {
    return (this.path.length == 0 ? root : this.path) + ": " + this.text;
  }
}

function join(head: string, rest: string): string {
  if (rest.length == 0) return head;
  return rest.charCodeAt(0) == 0x5B ? head + rest : head + "." + rest; // '['
}

/** A value or a problem. */
export class Parsed<T> {
  constructor(public readonly value: T | null, public readonly problem: Problem | null) {}
}

export function ok<T>(value: T): Parsed<T> {
  return new Parsed<T>(value, null);
}

export function fail<T>(problem: Problem): Parsed<T> {
  return new Parsed<T>(null, problem);
}

/** `expected …, got <value>` about the value itself. */
export function expected(what: string, got: JsonValue): Problem {
  return new Problem("", "expected " + what + ", got " + got.describe());
}

/** Any other text about the value itself. */
export function problem(text: string): Problem {
  return new Problem("", text);
}

/** `key: unknown field (expected one of a, b)`. */
export function unknownField(key: string, allowed: string): Problem {
  const list = (allowed.indexOf(",") >= 0 ? "one of " : "") + allowed;
  return new Problem(fieldPath("", key), "unknown field (expected " + list + ")");
}

/** `missing required field "key"` about the object itself. */
export function missingField(key: string): Problem {
  return new Problem("", 'missing required field "' + key + '"');
}
