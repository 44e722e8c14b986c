// HTTP facts shared by the callouts (host/lib/callouts.ts) and the runner (host/runner/).

import type { HeaderList } from './api.ts';
import { asciiLower } from './headers.ts';

/**
 * Hop-by-hop header fields (RFC 7230 §6.1 and Appendix A.1.2): they describe one connection and a
 * proxy never forwards them. The same set Envoy strips from HTTP/1 messages.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** Node's rawHeaders ([k0, v0, k1, v1, …], byte strings) as a list: keys lower-cased, hop-by-hop dropped. */
export function fromRawHeaders(raw: string[], skip: ReadonlySet<string> = HOP_BY_HOP): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const k = asciiLower(raw[i]!);
    if (!skip.has(k)) out.push([k, raw[i + 1]!]);
  }
  return out;
}
