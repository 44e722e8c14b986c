// The immutable configuration: the shapes config/parse.ts produces from the plugin's JSON, once,
// in onConfigure. Routes are handed over one at a time (config/sink.ts): the filter writes each
// into the rule table (rules/builder.ts) and drops it, tests and tools collect them in a Config.
// Nothing here is touched on the per-request path, which reads the table's flat buffer.
//
import { RulesService } from "./service";

// Both accepted JSON forms (the original dispatcher's and the native one) end up in this shape.

/** Where a routing key is read from (assembly/filter/keys/ has a reader per kind). */
export enum KeySourceKind {
  Header = 0,
  Baggage = 1,
  Tracestate = 2,
  Cookie = 3,
  Query = 4,
}

/** KeySource.flags: ASCII-lower-case the key. */
export const SOURCE_LOWERCASE: u32 = 1;
/** KeySource.flags: drop SP/HTAB around the key. */
export const SOURCE_TRIM: u32 = 2;

export class KeySource {
  constructor(
    public readonly kind: KeySourceKind,
    /** Header name, lower-cased (Envoy lower-cases keys): `baggage`, `cookie`, `:path`… by kind. */
    public readonly name: string,
    /** The member / cookie / parameter name inside the header's value; "" for a header source. */
    public readonly member: string = "",
    public readonly flags: u32 = 0,
    /** The longest key the source yields, in bytes (a longer one: no key from this source). */
    public readonly maxBytes: u32 = 4096,
  ) {}
}

export enum HeaderOpKind {
  /** Replace the header's value (add it when absent). */
  Set = 0,
  /** Append one more value. */
  Add = 1,
  /** Remove every value of the header. */
  Remove = 2,
}

export class HeaderOp {
  constructor(
    public readonly kind: HeaderOpKind,
    /** Lower-cased; `host` is already turned into `:authority`. */
    public readonly name: string,
    /** Empty for Remove. */
    public readonly value: string,
  ) {}
}

/** What happens to a request that matched a route (or fell to the default). */
export class Action {
  constructor(
    /** The route's name; "default" for the default action. */
    public readonly name: string,
    /** host[:port] from `destination`, or null when the action has no destination. */
    public readonly authority: string | null,
    /** A non-root path from a URL destination ("/prefix", never ending in "/"), or null. */
    public readonly pathPrefix: string | null,
    /** Header operations in the order they apply, after the destination's `:authority`. */
    public readonly headerOps: HeaderOp[],
    /** Response header operations (`responseHeaders`), applied in on_response_headers. */
    public readonly responseOps: HeaderOp[] = [],
    /** A local reply's status (200–599), or 0: the request goes on (`unknownKey.reply` only). */
    public readonly replyStatus: i32 = 0,
    /** The local reply's body template; `{key}` stands for the escaped key. */
    public readonly replyBody: string = "",
  ) {}
}

/** What a request whose key is present but matches no route gets (`unknownKey`). */
export enum UnknownKeyPolicy {
  /** The default action, or passed unchanged when there is none (an absent key's fate too). */
  Default = 0,
  /** Passed unchanged, even when there is a default. */
  Passthrough = 1,
  /** Its own action (named UNKNOWN_KEY_NAME): a destination, headers, or a local reply. */
  Action = 2,
}

/** The name (decision header value, metric route label) of the unknown-key action. */
export const UNKNOWN_KEY_NAME = "unknownKey";

export class Route {
  constructor(
    public readonly name: string,
    /** The routing-key values that select this route (exact, case-sensitive). */
    public readonly keys: string[],
    public readonly action: Action,
    /** Key prefixes that select it (a key starting with one; the longest prefix wins). */
    public readonly prefixes: string[] = [],
    /**
     * The hosts (`:authority` as the application sent it, lower-cased, port optional) it applies
     * to; empty: every host. See rules/match.ts for the order of precedence.
     */
    public readonly hosts: string[] = [],
  ) {}
}

export class Config {
  constructor(
    /** Tried in order; the first source that yields a value gives the key. */
    public readonly keySources: KeySource[],
    public readonly routes: Route[],
    /** Null: a request with no matching route passes unchanged. */
    public readonly defaultAction: Action | null,
    /** Lower-cased response header naming the decision, or null. */
    public readonly decisionHeader: string | null,
    /** Where live rules come from (config/service.ts), or null: the routes above are all. */
    public readonly rulesService: RulesService | null = null,
    public readonly unknownKey: UnknownKeyPolicy = UnknownKeyPolicy.Default,
    /** The unknown-key action when `unknownKey` is Action. */
    public readonly unknownAction: Action | null = null,
    /** Lower-cased response header carrying the rules version (`versionHeader`), or null. */
    public readonly versionHeader: string | null = null,
  ) {}
}

/** Either a config or an error naming the field path and what was expected. */
export class ConfigResult {
  constructor(
    public readonly config: Config | null,
    /** e.g. `routes[2].destination: expected host, host:port or http(s) URL, got "::"` */
    public readonly error: string | null,
  ) {}

  static ok(config: Config): ConfigResult {
    return new ConfigResult(config, null);
  }

  static fail(error: string): ConfigResult {
    return new ConfigResult(null, error);
  }
}
