// Lookups on a HeaderList (ordered [name, value] byte-string pairs, names lower-case), shared by the
// exchange's phases; the host library's HeaderMap is the guest's view, these are the proxy's.

import type { HeaderList } from '../lib/index.ts';

/** The first value of `name`. */
export function header(list: HeaderList, name: string): string | undefined {
  for (const [k, v] of list) if (k === name) return v;
  return undefined;
}

/** `name` set to one value, after every other header (as Envoy's setReference leaves it). */
export function setHeader(list: HeaderList, name: string, value: string): HeaderList {
  const out = list.filter(([k]) => k !== name);
  out.push([name, value]);
  return out;
}
