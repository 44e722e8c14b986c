// A configuration form: the top-level object's fields, read into the same pieces whichever form
// it is (native.ts, original.ts). This file is the skeleton both share — size the document, read
// each field in document order, check what every configuration needs, hand the pieces to the
// sink — so that a form is only what is its own: its field names and what each one means.
import { JsonDocument, JsonItems, JsonValue } from "../json";
import { Action, KeySource } from "./model";
import { Parsed, Problem, problem, unknownField, missingField } from "./errors";
import { ConfigSink } from "./sink";
import { ConfigSizes } from "./sizes";
import { heldMark, hold, letGoTo } from "../gc";

/** What the top-level fields gave so far. */
export class TopLevel {
  sources: KeySource[] | null = null;
  /** Routes in the document's route list (0 when it has none). */
  routeCount: i32 = 0;
  defaultAction: Action | null = null;
  decisionHeader: string | null = null;
  /** Set when the document names a rules service: it may then have neither routes nor a default. */
  routesOptional: bool = false;
}

/** Every form's first field, required: `key` in a configuration (where the routing key is read
 *  from), `version` in a rules document (config/document.ts, whose key sources are given). */
export const KEY_FIELD: i32 = 0;

export abstract class ConfigForm {
  constructor(
    /**
     * The top-level field names, "key" first (KEY_FIELD); a field's index in this list is what
     * `read` and `size` get.
     */
    public readonly fields: string[],
    /** The problem when the document has neither routes nor a default. */
    public readonly nothingToRoute: string,
  ) {}

  /** What the top-level fields start from (a rules document starts from its configuration's). */
  newTop(): TopLevel {
    return new TopLevel();
  }

  /** A problem with the object as a whole, before its fields are read (null: none). */
  check(_root: JsonValue): Problem | null {
    return null;
  }

  /** The key sources of the `key` field. */
  abstract readKey(value: JsonValue): Parsed<KeySource[]>;

  /**
   * Reads field number `field` (not KEY_FIELD) into `top` (routes straight into `sink`); the
   * problem is relative to the value.
   */
  abstract read(field: i32, value: JsonValue, top: TopLevel, sink: ConfigSink): Problem | null;

  /** Adds what field number `field` (-1: not one of this form's) at token `value` holds to `sizes`. */
  abstract size(field: i32, doc: JsonDocument, value: i32, sizes: ConfigSizes): void;

  /** The index of the cursor's field in `fields`, or -1. */
  indexOf(f: JsonItems): i32 {
    const fields = this.fields;
    for (let i = 0; i < fields.length; i++) if (f.is(unchecked(fields[i]))) return i;
    return -1;
  }
}

/** Reads the configuration object `root` in `form` into `sink`: the problem, or null when `sink` got it all. */
export function parseForm(root: JsonValue, form: ConfigForm, sink: ConfigSink): Problem | null {
  const mark = heldMark();
  const p = readForm(root, form, sink);
  letGoTo(mark);
  return p;
}

function readForm(root: JsonValue, form: ConfigForm, sink: ConfigSink): Problem | null {
  const p = form.check(root);
  if (p !== null) return p;
  sink.begin(sizeForm(root, form));
  // The routes field collects between routes (gc.ts): what is used after it is held.
  hold(root);
  hold(form);
  hold(sink);
  const top = hold(form.newTop());
  const f = hold(root.fields());
  while (f.next()) {
    const field = form.indexOf(f);
    if (field < 0) return unknownField(f.name, form.fields.join(", "));
    let p: Problem | null;
    if (field == KEY_FIELD) {
      const r = form.readKey(f.value);
      top.sources = r.value;
      p = r.problem;
    } else {
      p = form.read(field, f.value, top, sink);
    }
    if (p !== null) return p.inField(f.name);
  }
  const sources = top.sources;
  if (sources === null) return missingField(unchecked(form.fields[KEY_FIELD]));
  if (top.routeCount == 0 && top.defaultAction === null && !top.routesOptional) return problem(form.nothingToRoute);
  const version = sink.versionHeader; // native versionHeader, lower-cased as decisionHeader is
  if (version !== null && version == top.decisionHeader) return new Problem("versionHeader", "expected a header other than decisionHeader");
  sink.end(sources, top.defaultAction, top.decisionHeader);
  return null;
}

/**
 * What the table for `root` needs (config/sizes.ts), read off the document by token index before
 * it is parsed: no cursor, no string, nothing for the GC.
 */
export function sizeForm(root: JsonValue, form: ConfigForm): ConfigSizes {
  const doc = root.doc;
  const fields = form.fields;
  const sizes = new ConfigSizes();
  for (let k = root.at + 1, end = doc.fieldsEnd(root.at); k < end; k = doc.end(k + 1)) {
    let field = -1;
    for (let i = 0; i < fields.length; i++) {
      if (doc.textIs(k, unchecked(fields[i]))) {
        field = i;
        break;
      }
    }
    form.size(field, doc, k + 1, sizes);
  }
  return sizes;
}
