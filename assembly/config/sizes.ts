// How much room a configuration's rule table needs, read off the document before it is parsed:
// the table is one block, and growing it later would copy it when memory is fullest (the
// configuration, its tape and the table all alive).
//
// The figures are upper bounds for a valid document. An invalid one is refused before its table
// is finished, so what they say about it does not matter. The walk goes by token index
// (json/document.ts): no cursor, no string, nothing for the GC — it visits every route once more.
// The walk over the top-level fields is config/form.ts's; what each field holds is sized here.
import { JsonDocument } from "../json";

/** Hosts one route may list. */
export const MAX_ROUTE_HOSTS = 256;
/** (key or prefix, host) pairs of a whole rule set: each is a table slot. */
export const MAX_KEY_SLOTS = 1000000;

export class ConfigSizes {
  /** Routes (the default action is not one). */
  routes: i32 = 0;
  /** Table slots: each key and prefix once per host it is scoped to (once when it is not). */
  keys: i32 = 0;
  /** Hosts listed by host-scoped routes, repeats included. */
  hosts: i32 = 0;
  /** Header operations of all actions, each destination's `:authority` included. */
  ops: i32 = 0;
  /**
   * UTF-8 bytes of the text the table keeps: route names (twice: the name and its metric), keys,
   * prefixes, hosts, destinations, header names and values, key sources and the decision header.
   */
  textBytes: u32 = 0;
}

/**
 * One route: its name (kept twice: the name and its metric), `keys` keys and prefixes of
 * `keyBytes` in all, each kept once and given a slot per host of the `hosts` it lists
 * (`hostBytes` in all; none: one slot).
 */
export function sizeRoute(sizes: ConfigSizes, nameBytes: u32, keys: i32, keyBytes: u32, hosts: i32 = 0, hostBytes: u32 = 0): void {
  sizes.routes++;
  // The document is not validated yet: its counts can be anything. An accepted one has at most
  // MAX_KEY_SLOTS pairs (config/routes.ts refuses more before any route is written), so the
  // counts saturate there and the table is never sized past what it can be asked to hold.
  let h = min(hosts, MAX_ROUTE_HOSTS);
  let slots = <i64>keys * <i64>(h > 0 ? h : 1);
  sizes.keys = <i32>min<i64>(<i64>sizes.keys + slots, MAX_KEY_SLOTS);
  sizes.hosts = min(sizes.hosts + h, MAX_KEY_SLOTS);
  sizes.textBytes += 2 * nameBytes + keyBytes + hostBytes;
}

/** The native routes array at token `routes`, added to `sizes`. */
export function sizeRoutes(doc: JsonDocument, routes: i32, sizes: ConfigSizes): void {
  for (let r = routes + 1, end = doc.elementsEnd(routes); r < end; r = doc.end(r)) {
    let nameBytes: u32 = 0, keys = 0, keyBytes: u32 = 0, hosts = 0, hostBytes: u32 = 0;
    let named = false;
    for (let k = r + 1, fields = doc.fieldsEnd(r); k < fields; k = doc.end(k + 1)) {
      if (doc.textIs(k, "name")) {
        nameBytes = doc.textBytes(k + 1);
        named = true;
      } else if (doc.textIs(k, "keys") || doc.textIs(k, "prefixes")) {
        keys += doc.length(k + 1);
        keyBytes += doc.textBytes(k + 1);
      } else if (doc.textIs(k, "hosts")) {
        hosts = doc.length(k + 1);
        hostBytes = doc.textBytes(k + 1);
      }
    }
    // Unnamed: named after its first key or prefix, at most all of their bytes.
    sizeRoute(sizes, named ? nameBytes : keyBytes, keys, keyBytes, hosts, hostBytes);
    sizeAction(doc, r, sizes);
  }
}

/**
 * The action fields (action.ts) of the object at token `v`, a route, a default or a rewrite
 * entry: `destination` is one operation (`:authority`), `requestHeaders` and `patch` one per
 * header they name.
 */
export function sizeAction(doc: JsonDocument, v: i32, sizes: ConfigSizes): void {
  for (let k = v + 1, end = doc.fieldsEnd(v); k < end; k = doc.end(k + 1)) {
    if (doc.textIs(k, "destination")) {
      sizes.ops++;
      sizes.textBytes += doc.textBytes(k + 1);
    } else if (doc.textIs(k, "requestHeaders") || doc.textIs(k, "responseHeaders")) {
      // {"set": {…}, "add": {…}, "remove": […]}: one operation per field or element.
      const headers = k + 1;
      for (let h = headers + 1, groups = doc.fieldsEnd(headers); h < groups; h = doc.end(h + 1)) {
        sizes.ops += doc.length(h + 1);
        sizes.textBytes += doc.textBytes(h + 1);
      }
    } else if (doc.textIs(k, "patch")) {
      // [{"key", "val"}, …]: one set each.
      sizes.ops += doc.length(k + 1);
      sizes.textBytes += doc.textBytes(k + 1);
    } else if (doc.textIs(k, "reply")) {
      sizes.textBytes += doc.textBytes(k + 1);
    }
  }
}
