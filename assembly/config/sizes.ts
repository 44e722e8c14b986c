// How much room a configuration's rule table needs, read off the document before it is parsed:
// the table is one block, and growing it later would copy it when memory is fullest (the
// configuration, its tape and the table all alive).
//
// The figures are upper bounds for a valid document. An invalid one is refused before its table
// is finished, so what they say about it does not matter. The walk goes by token index
// (json/document.ts): no cursor, no string, nothing for the GC — it visits every route once more.
import { JsonDocument, JsonValue } from "../json";

export class ConfigSizes {
  /** Routes (the default action is not one). */
  routes: i32 = 0;
  /** Routing keys of all routes. */
  keys: i32 = 0;
  /** Header operations of all actions, each destination's `:authority` included. */
  ops: i32 = 0;
  /**
   * UTF-8 bytes of the text the table keeps: route names (twice: the name and its metric), keys,
   * destinations, header names and values, key sources and the decision header.
   */
  textBytes: u32 = 0;
}

/** The native form: `{"key", "routes"?, "default"?, "decisionHeader"?}`. */
export function sizeNative(root: JsonValue): ConfigSizes {
  const doc = root.doc;
  const sizes = new ConfigSizes();
  for (let k = root.at + 1, end = doc.fieldsEnd(root.at); k < end; k = doc.end(k + 1)) {
    if (doc.textIs(k, "routes")) sizeRoutes(doc, k + 1, sizes);
    else if (doc.textIs(k, "default")) sizeAction(doc, k + 1, sizes);
    else sizes.textBytes += doc.textBytes(k + 1); // key, decisionHeader
  }
  return sizes;
}

/** The routes array at token `routes`, added to `sizes`. */
export function sizeRoutes(doc: JsonDocument, routes: i32, sizes: ConfigSizes): void {
  for (let r = routes + 1, end = doc.elementsEnd(routes); r < end; r = doc.end(r)) {
    sizes.routes++;
    for (let k = r + 1, fields = doc.fieldsEnd(r); k < fields; k = doc.end(k + 1)) {
      if (doc.textIs(k, "name")) {
        sizes.textBytes += 2 * doc.textBytes(k + 1);
      } else if (doc.textIs(k, "keys")) {
        sizes.keys += doc.length(k + 1);
        sizes.textBytes += doc.textBytes(k + 1);
      }
    }
    sizeAction(doc, r, sizes);
  }
}

/** The `destination` and `requestHeaders` of the route or default object at token `v`. */
function sizeAction(doc: JsonDocument, v: i32, sizes: ConfigSizes): void {
  for (let k = v + 1, end = doc.fieldsEnd(v); k < end; k = doc.end(k + 1)) {
    if (doc.textIs(k, "destination")) {
      sizes.ops++;
      sizes.textBytes += doc.textBytes(k + 1);
    } else if (doc.textIs(k, "requestHeaders")) {
      // {"set": {…}, "add": {…}, "remove": […]}: one operation per field or element.
      const headers = k + 1;
      for (let h = headers + 1, groups = doc.fieldsEnd(headers); h < groups; h = doc.end(h + 1)) {
        sizes.ops += doc.length(h + 1);
        sizes.textBytes += doc.textBytes(h + 1);
      }
    }
  }
}

/** The original form: `{"key", "destination"?, "rewrites"}`. */
export function sizeOriginal(root: JsonValue): ConfigSizes {
  const doc = root.doc;
  const sizes = new ConfigSizes();
  for (let k = root.at + 1, end = doc.fieldsEnd(root.at); k < end; k = doc.end(k + 1)) {
    if (doc.textIs(k, "rewrites")) {
      sizeRewrites(doc, k + 1, sizes);
    } else {
      if (doc.textIs(k, "destination")) sizes.ops++;
      sizes.textBytes += doc.textBytes(k + 1); // key, destination
    }
  }
  return sizes;
}

/** `rewrites`: VALUE → `{"patch"?, "destination"?}`, each VALUE a route's key, name and metric. */
function sizeRewrites(doc: JsonDocument, rewrites: i32, sizes: ConfigSizes): void {
  for (let r = rewrites + 1, end = doc.fieldsEnd(rewrites); r < end; r = doc.end(r + 1)) {
    sizes.routes++;
    sizes.keys++;
    sizes.textBytes += 3 * doc.textBytes(r);
    const rewrite = r + 1;
    for (let k = rewrite + 1, fields = doc.fieldsEnd(rewrite); k < fields; k = doc.end(k + 1)) {
      if (doc.textIs(k, "destination")) sizes.ops++;
      else if (doc.textIs(k, "patch")) sizes.ops += doc.length(k + 1);
      sizes.textBytes += doc.textBytes(k + 1);
    }
  }
}
