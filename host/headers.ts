// An Envoy-like header map: lower-cased keys, pseudo-headers kept before regular ones, HTTP/1
// `Host` stored only as `:authority`, first-value get, replace = remove all + add.

import type { HeaderList } from './api.ts';

function isPseudo(key: string): boolean {
  return key.startsWith(':');
}

export class HeaderMap {
  private entries: Array<[string, string]> = [];

  /** Headers as received: keys lower-cased, `host` becomes `:authority` (unless one exists). */
  static fromReceived(list: HeaderList): HeaderMap {
    const map = new HeaderMap();
    const hasAuthority = list.some(([k]) => k.toLowerCase() === ':authority');
    for (const [k, v] of list) {
      let key = k.toLowerCase();
      if (key === 'host') {
        if (hasAuthority || map.get(':authority') !== undefined) continue;
        key = ':authority';
      }
      map.add(key, v);
    }
    return map;
  }

  /** Pairs as the guest wrote them (keys lower-cased, nothing renamed). */
  static fromPairs(list: HeaderList): HeaderMap {
    const map = new HeaderMap();
    for (const [k, v] of list) map.add(k, v);
    return map;
  }

  get size(): number {
    return this.entries.length;
  }

  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const [ek, ev] of this.entries) if (ek === k) return ev;
    return undefined;
  }

  getAll(key: string): string[] {
    const k = key.toLowerCase();
    return this.entries.filter(([ek]) => ek === k).map(([, v]) => v);
  }

  add(key: string, value: string): void {
    const k = key.toLowerCase();
    if (isPseudo(k)) {
      let i = 0;
      while (i < this.entries.length && isPseudo(this.entries[i]![0])) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    this.entries = this.entries.filter(([ek]) => ek !== k);
  }

  /** Envoy's setCopy: every existing value goes, one new value is added. */
  replace(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  clear(): void {
    this.entries = [];
  }

  /** Envoy's HeaderMap::byteSize(): key and value bytes, no separators. */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += Buffer.byteLength(k) + Buffer.byteLength(v);
    return n;
  }

  toList(): HeaderList {
    return this.entries.map(([k, v]) => [k, v]);
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.entries = this.toList();
    return m;
  }
}
