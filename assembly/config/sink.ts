// Where a parsed configuration goes. The parser (parse.ts) checks the whole document and hands
// each piece over as soon as it is known to be good:
//
//   begin(sizes)                               once, first: what the whole configuration holds
//   route(route)                               each route in order, its name and keys unique
//   end(keySources, default, decisionHeader)   once the whole document is valid
//
// ConfigCollector keeps the pieces as a Config (tests and tools). The rule table builder
// (rules/builder.ts) writes each route straight into the table and drops it, so that 100k routes
// never exist as 100k Route objects at once. When the document is refused, the parser stops
// part-way and `end` is never called.
import { Action, Config, KeySource, Route, UnknownKeyPolicy } from "./model";
import { ConfigSizes } from "./sizes";
import { RulesService } from "./service";

export abstract class ConfigSink {
  /** The configuration's `rulesService`, when it has one (set while the fields are read). */
  service: RulesService | null = null;
  /** The configuration's `unknownKey` (set while the fields are read). */
  unknownKey: UnknownKeyPolicy = UnknownKeyPolicy.Default;
  unknownAction: Action | null = null;
  /** The configuration's `versionHeader` (set before `end`; the table gets it with its version). */
  versionHeader: string | null = null;

  /** What the configuration holds, read off the document before parsing it (config/sizes.ts). */
  abstract begin(sizes: ConfigSizes): void;
  abstract route(route: Route): void;
  abstract end(keySources: KeySource[], defaultAction: Action | null, decisionHeader: string | null): void;
}

/** Keeps the configuration as a Config. */
export class ConfigCollector extends ConfigSink {
  /** Set by `end`. */
  config: Config | null = null;
  private routes: Route[] = [];

  begin(_sizes: ConfigSizes): void {}

  route(route: Route): void {
    this.routes.push(route);
  }

  end(keySources: KeySource[], defaultAction: Action | null, decisionHeader: string | null): void {
    this.config = new Config(keySources, this.routes, defaultAction, decisionHeader, this.service,
      this.unknownKey, this.unknownAction, this.versionHeader);
  }
}
