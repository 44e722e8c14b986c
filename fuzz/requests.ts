// Hostile request header sets, as latin1 byte strings (one char per byte: non-UTF-8 bytes reach
// the filter as they are): odd and huge names, CR/LF/NUL, many and repeated headers, long paths.
import type { Rng } from './rng.ts';

type HeaderList = Array<[string, string]>;

const ODD_NAMES = ['x-env', 'X-ENV', 'x-sandbox', 'environment', 'host', 'Host', ':authority', ':path', '', ' ', 'x env', 'x:env', 'x-env\u0000', 'x-\u00ff', 'x-env ', 'a'.repeat(300)];
const BYTES = ['\r', '\n', '\u0000', '\u0001', '\u007f', '\t', ' ', '\u00ff', '\u00c3', '\u00ed\u00a0\u0080', '%2e', '..', '/', '//', '?', '#', ';', '\\'];

function bytes(r: Rng, max: number): string {
  const n = r.size(max);
  let s = '';
  for (let i = 0; i < n; i++) s += r.chance(0.3) ? r.pick(BYTES) : String.fromCharCode(r.chance(0.9) ? 0x20 + r.int(95) : r.int(256));
  return s;
}

/** A path of up to 1 MiB (rarely), with dot-segments, `//`, encodings. */
export function hostilePath(r: Rng, maxBytes: number): string {
  if (r.chance(0.05)) return '/' + 'p'.repeat(Math.max(0, maxBytes - 1));
  const parts = ['', ...Array.from({ length: r.int(8) }, () => r.pick(['a', '..', '.', '', '%2e%2e', '..;', 'x%2fy', bytes(r, 64)]))];
  let p = parts.join('/');
  if (r.chance(0.3)) p += '?' + bytes(r, 256);
  if (r.chance(0.1)) p = p.replace(/^\//, '');
  return p.length > maxBytes ? p.slice(0, maxBytes) : p;
}

/** A request for routing keys `keys` (the configured ones, so some requests route). */
/** Hosts the request configuration's scoped routes list, in other cases and ports, and others. */
const AUTHORITIES = ['app.local', 'APP.Local:8080', 'app.local:', 'other.local:8080', 'other.local', '[::1]:80', 'app.local.'];

export function hostileRequest(r: Rng, keys: string[], maxPath: number): HeaderList {
  const h: HeaderList = [];
  if (!r.chance(0.05)) h.push([':authority', r.chance(0.8) ? r.pick(AUTHORITIES) : bytes(r, 300)]);
  if (!r.chance(0.05)) h.push([':path', r.chance(0.5) ? '/hello?q=1' : hostilePath(r, maxPath)]);
  h.push([':method', r.chance(0.9) ? 'GET' : bytes(r, 20)]);
  const key = (): string => (keys.length > 0 && r.chance(0.6) ? r.pick(keys) : bytes(r, r.chance(0.05) ? 65536 : 200));
  const n = r.int(4);
  for (let i = 0; i < n; i++) h.push([r.pick(['x-env', 'x-sandbox', 'environment', 'X-Env']), key()]);
  const extra = r.chance(0.1) ? r.size(1000) : r.int(8);
  for (let i = 0; i < extra; i++) h.push([r.chance(0.5) ? r.pick(ODD_NAMES) : `x-${bytes(r, 40)}`, bytes(r, 200)]);
  return h;
}

/** The largest requests the generator makes: the warm-up runs these before memory is measured. */
export function largestRequests(keys: string[], maxPath: number): HeaderList[] {
  const big = 'k'.repeat(65536);
  return [
    // Longest paths on every route (a prefixed destination grows the path scratch): on a host no
    // scoped route lists, and on one they do.
    ...['app.local', 'elsewhere.local'].flatMap((authority): HeaderList[] => keys.map((k) => [
      [':authority', authority], [':path', '/' + 'p'.repeat(maxPath - 1)], ['x-env', k || 'k']])),
    [[':authority', 'app.local'], [':path', '/'], ['x-env', keys[1] ?? 'k'], ['x-sandbox', big]],
    [[':authority', 'app.local'], [':path', '/'], ['x-env', big], ['x-sandbox', big], ['environment', big]],
    [[':authority', 'A'.repeat(65536)], [':path', '/'], ['x-env', keys[0] ?? 'k']],
    [[':authority', 'app.local'], [':path', '/'], ...Array.from({ length: 1000 }, (_, i): [string, string] => [`x-${i}`, 'v'.repeat(200)])],
  ];
}
