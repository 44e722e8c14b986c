// Key source `{"header": NAME}`: the request header's first value, as the host gives it.
import { HeaderMap, getHeaderRaw, hostBytesPtr, hostBytesLen, freeHostBytes } from "../../sdk";
import { KeyBytes } from "./key";

/** True when the header is present with a non-empty value, which `out` then holds. */
export function headerKey(namePtr: usize, nameLen: usize, out: KeyBytes): bool {
  if (!getHeaderRaw(HeaderMap.Request, namePtr, nameLen)) return false;
  let ptr = hostBytesPtr();
  let len = hostBytesLen();
  // An empty value counts as absent: older Envoys answer Ok/"" for a missing header.
  if (len == 0) {
    freeHostBytes(ptr);
    return false;
  }
  out.hold(ptr, ptr, len);
  return true;
}
