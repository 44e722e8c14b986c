// The original dispatcher's form, translated into the native model as it is read:
//
//   {"key": HEADER, "destination"?: DEST, "rewrites": {VALUE: {"patch"?: [{"key", "val"}], "destination"?}}}
//
//   key          → one header key source
//   destination  → the default action
//   rewrites     → routes: each VALUE a route named VALUE with keys [VALUE], whose action is read
//                  by the same action code as a native route's (action.ts), `patch` being a list
//                  of header sets
//
// Chosen when the object has "rewrites" (parse.ts). There is no decision header in this form.
import { JsonDocument, JsonItems, JsonValue } from "../json";
import { KeySource } from "./model";
import { Parsed, Problem, expected, problem } from "./errors";
import { ActionBuilder, ActionField, parseActionObject } from "./action";
import { ConfigForm, TopLevel } from "./form";
import { parseHeaderKey } from "./keysource";
import { ROUTES_PER_COLLECT, checkKey, checkRouteCount } from "./routes";
import { collectBetween, heldMark, hold, letGoTo } from "../gc";
import { ConfigSink } from "./sink";
import { ConfigSizes, sizeAction, sizeRoute } from "./sizes";

// Field numbers: indexes into the list given to ConfigForm (0 is "key").
const DESTINATION = 1;
const REWRITES = 2;

const REWRITE_FIELDS = "patch, destination";

class OriginalForm extends ConfigForm {
  constructor() {
    super(["key", "destination", "rewrites"],
      'nothing to route: expected at least one entry in "rewrites", or a "destination"');
  }

  check(root: JsonValue): Problem | null {
    if (root.has("routes") || root.has("default")) {
      return problem('expected either "rewrites" (original form) or "routes"/"default", not both');
    }
    return null;
  }

  readKey(value: JsonValue): Parsed<KeySource[]> {
    return parseHeaderKey(value);
  }

  read(field: i32, value: JsonValue, top: TopLevel, sink: ConfigSink): Problem | null {
    if (field == DESTINATION) {
      const b = new ActionBuilder();
      const p = b.destination(value);
      top.defaultAction = b.build("default");
      return p;
    }
    // REWRITES
    top.routeCount = value.length;
    return parseRewrites(value, sink);
  }

  size(field: i32, doc: JsonDocument, value: i32, sizes: ConfigSizes): void {
    if (field == REWRITES) {
      // Each VALUE is its route's name (twice: the name and its metric) and its one key.
      for (let r = value + 1, end = doc.fieldsEnd(value); r < end; r = doc.end(r + 1)) {
        const bytes = doc.textBytes(r);
        sizeRoute(sizes, bytes, 1, bytes);
        sizeAction(doc, r + 1, sizes);
      }
    } else {
      if (field == DESTINATION) sizes.ops++;
      sizes.textBytes += doc.textBytes(value); // key, destination
    }
  }
}

export const ORIGINAL_FORM: ConfigForm = new OriginalForm();

/** `rewrites`: `{VALUE: {…}}`, each entry a route handed to `sink` in document order. */
function parseRewrites(v: JsonValue, sink: ConfigSink): Problem | null {
  if (!v.isObject) return expected("an object of routing key values to rewrites", v);
  const tooMany = checkRouteCount(v.length, "entries");
  if (tooMany !== null) return tooMany;
  // Field names are unique (the JSON parser refuses duplicates), so the keys are too.
  const mark = heldMark();
  const f = hold(v.fields());
  const p = parseEach(f, sink);
  letGoTo(mark);
  return p;
}

function parseEach(f: JsonItems, sink: ConfigSink): Problem | null {
  while (f.next()) {
    const i = f.index;
    if (i > 0 && i % ROUTES_PER_COLLECT == 0) collectBetween(); // the entries before are in `sink`
    const p = parseRewrite(f.key, f.value, sink);
    if (p !== null) return p.inField(f.name);
  }
  return null;
}

/** One `rewrites` entry: VALUE → `{"patch"?, "destination"?}`. */
function parseRewrite(key: JsonValue, rewrite: JsonValue, sink: ConfigSink): Problem | null {
  const value = key.str;
  const bad = checkKey(key, value);
  if (bad !== null) return problem("expected " + bad + " as the routing key value");
  const b = new ActionBuilder();
  const p = parseActionObject(rewrite, b, ActionField.Destination | ActionField.Patch, REWRITE_FIELDS,
    'an object with "patch" and/or "destination"');
  if (p !== null) return p;
  sink.route(b.route(value, [value]));
  return null;
}
