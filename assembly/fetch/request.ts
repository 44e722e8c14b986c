// The callout's request headers as proxy_http_call takes them: serialized pairs (little-endian
// u32 count, then each key and value length, then each key and value followed by NUL). Pure.
// Built once per fetch, not per request.
import { RulesService } from "../config/service";

/** Pseudo-headers first (:method, :path, :authority: Envoy requires all three). */
export function requestHeaders(service: RulesService, etag: string | null): string[] {
  let h: string[] = [":method", "GET", ":path", service.path, ":authority", service.authority];
  if (etag !== null && etag.length > 0) {
    h.push("if-none-match");
    h.push(etag);
  }
  if (service.longPollSeconds > 0) {
    h.push("prefer");
    h.push("wait=" + service.longPollSeconds.toString());
  }
  let extra = service.headers;
  for (let i = 0; i < extra.length; i++) h.push(unchecked(extra[i]));
  return h;
}

/** `flat` [name0, value0, name1, value1, …] serialized as pairs. */
export function serializePairs(flat: string[]): ArrayBuffer {
  let n = flat.length >> 1;
  let size = 4 + n * 8;
  for (let i = 0; i < flat.length; i++) size += String.UTF8.byteLength(unchecked(flat[i])) + 1;
  let buf = new ArrayBuffer(size);
  let base = changetype<usize>(buf);
  store<u32>(base, <u32>n);
  let text = base + 4 + <usize>n * 8;
  for (let i = 0; i < flat.length; i++) {
    let s = unchecked(flat[i]);
    let len = String.UTF8.byteLength(s);
    store<u32>(base + 4 + <usize>i * 4, <u32>len);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, text);
    store<u8>(text + <usize>len, 0);
    text += <usize>len + 1;
  }
  return buf;
}

/** The timeout the callout is given: a long poll may be held `longPollSeconds` by the server. */
export function calloutTimeoutMs(service: RulesService): u32 {
  return service.longPollSeconds * 1000 + service.timeoutMs;
}
