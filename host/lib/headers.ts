// An Envoy-like header map: lower-cased keys, pseudo-headers kept before regular ones, HTTP/1
// `Host` stored only as `:authority`, first-value get, replace = remove all + add.
//
// Envoy's header keys and values are bytes, not text. Inside the host every key and value is a
// "byte string": a JS string with one char per byte (0-255), the form Node's http module reads
// and writes header strings in (latin1). Guest memory is copied in and out byte for byte, so what
// a client sent is what the filter sees and what the upstream gets. The public API converts at
// its edge, per PluginOptions.headerEncoding:
//   'utf8'   (default, the tests' API): HeaderList strings are text, encoded as UTF-8 bytes for
//            the guest; guest bytes are decoded as UTF-8 (invalid sequences become U+FFFD).
//   'latin1' (the runner): HeaderList strings are byte strings, exactly as node:http gives and
//            takes them: bytes in = bytes out.

import type { HeaderEncoding, HeaderList } from './api.ts';

const ASCII = /^[\x00-\x7f]*$/;

/** A header string of the given API encoding as a byte string. */
export function toByteString(s: string, encoding: HeaderEncoding): string {
  if (encoding === 'latin1' || ASCII.test(s)) return s;
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A byte string as a header string of the given API encoding. */
export function fromByteString(s: string, encoding: HeaderEncoding): string {
  if (encoding === 'latin1' || ASCII.test(s)) return s;
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function listToBytes(list: HeaderList, encoding: HeaderEncoding): HeaderList {
  return encoding === 'latin1' ? list : list.map(([k, v]) => [toByteString(k, encoding), toByteString(v, encoding)]);
}

export function listFromBytes(list: HeaderList, encoding: HeaderEncoding): HeaderList {
  return encoding === 'latin1' ? list : list.map(([k, v]) => [fromByteString(k, encoding), fromByteString(v, encoding)]);
}

/** Envoy lower-cases keys with absl::AsciiStrToLower: bytes >= 0x80 are left alone. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function isPseudo(key: string): boolean {
  return key.startsWith(':');
}

export class HeaderMap {
  private entries: Array<[string, string]> = [];

  /** Headers as received: keys lower-cased, `host` becomes `:authority` (unless one exists). */
  static fromReceived(list: HeaderList): HeaderMap {
    const map = new HeaderMap();
    const hasAuthority = list.some(([k]) => asciiLower(k) === ':authority');
    for (const [k, v] of list) {
      let key = asciiLower(k);
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
    const k = asciiLower(key);
    for (const [ek, ev] of this.entries) if (ek === k) return ev;
    return undefined;
  }

  add(key: string, value: string): void {
    const k = asciiLower(key);
    if (isPseudo(k)) {
      let i = 0;
      while (i < this.entries.length && isPseudo(this.entries[i]![0])) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  remove(key: string): void {
    const k = asciiLower(key);
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

  /** Envoy's HeaderMap::byteSize(): key and value bytes, no separators (byte strings: 1 char = 1 byte). */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  toList(): HeaderList {
    return this.entries.map(([k, v]) => [k, v]);
  }
}
