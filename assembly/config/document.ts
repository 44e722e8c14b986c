// A rules document, as a rules server serves it (README, "Live rules"):
//
//   {"version": "v7", "routes": [...], "default": {...}, "unknownKey": ...}
//
// `routes`, `default` and `unknownKey` are the native configuration's, read by the same code (native.ts →
// routes.ts, action.ts) through the same skeleton (form.ts); what a document lacks — where the
// key is read from and the decision header — is its configuration's, given to it. `version` is
// the document's first, required field (form.ts KEY_FIELD), which the skeleton reads with
// `readKey`: it checks the version and answers with the given key sources.
import { JsonValue, parseJsonBytes } from "../json";
import { KeySource } from "./model";
import { Parsed, Problem, ok, fail, expected, missingField } from "./errors";
import { TopLevel, parseForm } from "./form";
import { NativeForm } from "./native";
import { ConfigSink } from "./sink";
import { heldMark, hold, letGoTo } from "../gc";

export const MAX_VERSION_BYTES = 128;
/** What error lines call the document's root (a configuration's is `configuration`). */
const DOCUMENT = "document";

class DocumentForm extends NativeForm {
  /** The document's version, once read. */
  version: string = "";

  constructor(private readonly sources: KeySource[], private readonly decisionHeader: string | null) {
    // Field numbers 1 to 3 are the native form's routes, default and unknownKey: NativeForm reads them.
    super(["version", "routes", "default", "unknownKey"], "");
  }


  check(root: JsonValue): Problem | null {
    return root.has("routes") ? null : missingField("routes");
  }

  newTop(): TopLevel {
    const top = new TopLevel();
    top.decisionHeader = this.decisionHeader;
    top.routesOptional = true; // a server may publish "no routes": every request passes
    return top;
  }

  readKey(value: JsonValue): Parsed<KeySource[]> {
    if (!value.isString || !isVersion(value.str)) {
      return fail<KeySource[]>(expected("a version of 1 to " + MAX_VERSION_BYTES.toString() + " printable ASCII characters", value));
    }
    this.version = value.str;
    return ok(this.sources);
  }
}

/** What parsing a rules document gave: its version, or the error line. */
export class DocumentResult {
  constructor(public readonly version: string | null, public readonly error: string | null) {}
}

/**
 * Parses the rules document bytes at ptr..ptr+len into `sink`, with the configuration's key
 * sources and decision header. Never aborts, whatever the bytes; on an error `sink` did not get
 * `end` (the document is refused as a whole). Error lines name the root `document`.
 */
export function parseRulesDocumentBytes(ptr: usize, len: i32, sources: KeySource[], decisionHeader: string | null,
                                        sink: ConfigSink): DocumentResult {
  const json = parseJsonBytes(ptr, len);
  if (json.error !== null) return new DocumentResult(null, json.message(DOCUMENT));
  const root = json.value!;
  const mark = heldMark();
  hold(json); // the parse collects between routes (gc.ts); parseForm holds the form
  const form = new DocumentForm(sources, decisionHeader);
  const p = root.isObject ? parseForm(root, form, sink)
                          : expected('a JSON object with "version" and "routes"', root);
  letGoTo(mark);
  json.release();
  if (p !== null) return new DocumentResult(null, p.line(DOCUMENT));
  return new DocumentResult(form.version, null);
}

/** 1 to MAX_VERSION_BYTES printable ASCII characters (it goes into log lines and shared data). */
export function isVersion(s: string): bool {
  const n = s.length;
  if (n == 0 || n > MAX_VERSION_BYTES) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}
