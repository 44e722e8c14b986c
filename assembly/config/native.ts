// The native form: `{"key", "routes"?, "default"?, "decisionHeader"?, "rulesService"?}`.
import { JsonDocument, JsonValue } from "../json";
import { KeySource } from "./model";
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
const DECISION_HEADER = 3;
const RULES_SERVICE = 4;

const DEFAULT_FIELDS = "destination, requestHeaders";

/** Exported for the rules document (document.ts), whose fields 1 and 2 are these routes and default. */
export class NativeForm extends ConfigForm {
  constructor(
    fields: string[] = ["key", "routes", "default", "decisionHeader", "rulesService"],
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
    if (field == RULES_SERVICE) {
      // Live rules may be all there is: routes and default become optional.
      const service = new RulesService();
      sink.service = service;
      top.routesOptional = true;
      return parseRulesService(value, service);
    }
    // DECISION_HEADER
    if (!value.isString) return expected("a header name", value);
    const name = responseHeaderName(value.str);
    top.decisionHeader = name.name;
    return name.name === null ? expected(name.expected, value) : null;
  }

  size(field: i32, doc: JsonDocument, value: i32, sizes: ConfigSizes): void {
    if (field == ROUTES) sizeRoutes(doc, value, sizes);
    else if (field == DEFAULT) sizeAction(doc, value, sizes);
    else if (field == RULES_SERVICE) return; // not kept in the table
    else sizes.textBytes += doc.textBytes(value); // key, decisionHeader
  }
}

export const NATIVE_FORM: ConfigForm = new NativeForm();

/** `default`: `{ "destination"?, "requestHeaders"? }` with at least one, into `b`. */
function parseDefault(v: JsonValue, b: ActionBuilder): Problem | null {
  const p = parseActionObject(v, b, ActionField.Destination | ActionField.RequestHeaders, DEFAULT_FIELDS,
    'an object with "destination" and/or "requestHeaders"');
  if (p !== null) return p;
  if (!b.hasDestination && !b.hasHeaders) return problem('expected "destination" or "requestHeaders"');
  return null;
}
