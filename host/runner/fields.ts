// The bootstrap's field reader: every object is read through Fields, which remembers what was
// consumed, so that whatever is left over gets exactly one warning naming its path; a field the
// runner cannot honour is refused with a BootstrapError whose message starts with that path.

/** A bootstrap or overlay the runner cannot honour; the message starts with the field path. */
export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
}

export type Json = unknown;

export class Reader {
  readonly warnings: string[] = [];
  warn(path: string, what = 'ignored by the local runner') {
    this.warnings.push(`${path}: ${what}`);
  }
}

export class Fields {
  private readonly used = new Set<string>();
  constructor(
    readonly value: Record<string, Json>,
    readonly path: string,
    private readonly reader: Reader,
  ) {}

  static of(value: Json, path: string, reader: Reader): Fields {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new BootstrapError(`${path}: expected an object, got ${describe(value)}`);
    }
    return new Fields(value as Record<string, Json>, path, reader);
  }

  at(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }
  has(key: string): boolean {
    return this.value[key] !== undefined && this.value[key] !== null;
  }
  raw(key: string): Json {
    this.used.add(key);
    return this.value[key];
  }
  /** Consumed without comment (names, stat prefixes, type URLs). */
  accept(...keys: string[]) {
    for (const k of keys) this.used.add(k);
  }
  /** Refuse the field if present: the runner cannot honour it. */
  refuse(key: string, why: string) {
    if (this.has(key)) throw new BootstrapError(`${this.at(key)}: ${why}`);
    this.used.add(key);
  }
  obj(key: string): Fields {
    return Fields.of(this.raw(key), this.at(key), this.reader);
  }
  optObj(key: string): Fields | undefined {
    return this.has(key) ? this.obj(key) : (this.used.add(key), undefined);
  }
  list(key: string): Json[] {
    const v = this.raw(key);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new BootstrapError(`${this.at(key)}: expected a list, got ${describe(v)}`);
    return v;
  }
  str(key: string): string {
    const v = this.raw(key);
    if (typeof v !== 'string') throw new BootstrapError(`${this.at(key)}: expected a string, got ${describe(v)}`);
    return v;
  }
  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : (this.used.add(key), undefined);
  }
  bool(key: string, dflt: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new BootstrapError(`${this.at(key)}: expected true or false, got ${describe(v)}`);
    return v;
  }
  port(key: string): number {
    const v = this.raw(key);
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
      throw new BootstrapError(`${this.at(key)}: expected a port 0-65535, got ${describe(v)}`);
    }
    return n;
  }
  /** Warn once for every key not consumed. */
  done() {
    for (const k of Object.keys(this.value)) {
      if (!this.used.has(k)) this.reader.warn(this.at(k));
    }
  }
}

export function describe(v: Json): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return JSON.stringify(v);
}

/** Envoy durations in JSON/YAML form: "0.25s", "15s", "1.5s" (also plain seconds as a number). */
export function parseDuration(v: Json, path: string): number {
  if (typeof v === 'number' && v >= 0) return v * 1000;
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(v.trim());
    if (m) return Math.round(Number(m[1]) * 1000);
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, Json>;
    const s = Number(o.seconds ?? 0), ns = Number(o.nanos ?? 0);
    if (Number.isFinite(s) && Number.isFinite(ns)) return s * 1000 + ns / 1e6;
  }
  throw new BootstrapError(`${path}: expected a duration like "0.25s", got ${describe(v)}`);
}
