// The native form: `{"key", "routes"?, "default"?, "decisionHeader"?, "rulesService"?, "unknownKey"?,
// "versionHeader"?}`.
import { JsonDocument, JsonKind, JsonValue } from "../json";
import { KeySource, UNKNOWN_KEY_NAME, UnknownKeyPolicy } from "./model";
import { Parsed, Problem, expected, problem } from "./errors";
import { ActionBuilder, ActionField, parseActionObject } from "./action";
import { ConfigForm, TopLevel } from "./form";
import { parseKeySources } from "./keysource";
import { parseRoutes } from "./routes";
import { responseHeaderName } from "./headers";
import { ConfigSink } from "./sink";
import { ConfigSizes, sizeAction, sizeRoutes } from "./sizes";
import { RulesService, parseRulesService } from "./service";

// Field numbers: indexes into the list given to ConfigForm (0 is "key").
const ROUTES = 1;
const DEFAULT = 2;
/** The rules document has the first four fields too (document.ts). */
const UNKNOWN_KEY = 3;
const DECISION_HEADER = 4;
const RULES_SERVICE = 5;
const VERSION_HEADER = 6;

const DEFAULT_FIELDS = "destination, requestHeaders, responseHeaders";
const UNKNOWN_KEY_FIELDS = "destination, requestHeaders, responseHeaders, reply";

/** Exported for the rules document (document.ts), whose fields 1 to 3 are these routes, default and unknownKey. */
export class NativeForm extends ConfigForm {
  constructor(
    fields: string[] = ["key", "routes", "default", "unknownKey", "decisionHeader", "rulesService", "versionHeader"],
    nothingToRoute: string = 'nothing to route: expected at least one route in "routes", or a "default"',
  ) {
    super(fields, nothingToRoute);
  }

  readKey(value: JsonValue): Parsed<KeySource[]> {
    return parseKeySources(value);
  }

  read(field: i32, value: JsonValue, top: TopLevel, sink: ConfigSink): Problem | null {
    if (field == ROUTES) {
      top.routeCount = value.length;
      return parseRoutes(value, sink);
    }
    if (field == DEFAULT) {
      const b = new ActionBuilder();
      const p = parseDefault(value, b);
      top.defaultAction = b.build("default");
      return p;
    }
    if (field == UNKNOWN_KEY) return parseUnknownKey(value, sink);
    if (field == RULES_SERVICE) {
      // Live rules may be all there is: routes and default become optional.
      const service = new RulesService();
      sink.service = service;
      top.routesOptional = true;
      return parseRulesService(value, service);
    }
    // DECISION_HEADER, VERSION_HEADER: response header names
    if (!value.isString) return expected("a header name", value);
    const name = responseHeaderName(value.str);
    if (field == VERSION_HEADER) sink.versionHeader = name.name;
    else top.decisionHeader = name.name;
    return name.name === null ? expected(name.expected, value) : null;
  }

  size(field: i32, doc: JsonDocument, value: i32, sizes: ConfigSizes): void {
    if (field == ROUTES) sizeRoutes(doc, value, sizes);
    else if (field == DEFAULT || field == UNKNOWN_KEY) {
      if (doc.kind(value) == JsonKind.Object) sizeAction(doc, value, sizes);
    }
    else if (field == RULES_SERVICE || field == VERSION_HEADER) return; // not in the built block (versionHeader: RuleTable.setVersion)
    else sizes.textBytes += doc.textBytes(value); // key, decisionHeader
  }
}

export const NATIVE_FORM: ConfigForm = new NativeForm();

/**
 * `unknownKey`: what a request whose key matches no route gets — `"default"` (as when the key is
 * absent), `"passthrough"`, or an action of its own: `{ "destination"?, "requestHeaders"?,
 * "responseHeaders"? }`, or `{ "reply": {"status", "body"?}, "responseHeaders"? }`.
 */
function parseUnknownKey(v: JsonValue, sink: ConfigSink): Problem | null {
  if (v.isString) {
    const s = v.str;
    if (s == "default" || s == "passthrough") {
      sink.unknownKey = s == "default" ? UnknownKeyPolicy.Default : UnknownKeyPolicy.Passthrough;
      return null;
    }
  }
  const what = '"default", "passthrough" or an action object';
  if (!v.isObject) return expected(what, v);
  const b = new ActionBuilder();
  const p = parseActionObject(v, b, ActionField.Destination | ActionField.RequestHeaders | ActionField.ResponseHeaders |
    ActionField.Reply, UNKNOWN_KEY_FIELDS, what);
  if (p !== null) return p;
  // A local reply never reaches an upstream: nothing to send it to or change on its way.
  const acts = b.hasDestination || b.hasHeaders;
  if (b.replyStatus != 0 ? acts : !acts) return problem('expected "reply" alone, or "destination" and/or "requestHeaders"');
  sink.unknownKey = UnknownKeyPolicy.Action;
  sink.unknownAction = b.build(UNKNOWN_KEY_NAME);
  return null;
}

/** `default`: `{ "destination"?, "requestHeaders"?, "responseHeaders"? }`, one of the first two at least, into `b`. */
function parseDefault(v: JsonValue, b: ActionBuilder): Problem | null {
  const p = parseActionObject(v, b, ActionField.Destination | ActionField.RequestHeaders | ActionField.ResponseHeaders,
    DEFAULT_FIELDS, 'an object with "destination" and/or "requestHeaders"');
  if (p !== null) return p;
  if (!b.hasDestination && !b.hasHeaders) return problem('expected "destination" or "requestHeaders"');
  return null;
}
