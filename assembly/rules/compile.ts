// Configuration → rule table: from the bytes, the way onConfigure needs it (compileConfiguration),
// or from a parsed Config, for tests and tools (compileConfig); a fetched rules document → rule
// table with its configuration's key sources (compileRulesDocument). The routes go from the JSON
// document straight into the table (config/sink.ts, rules/builder.ts), so at the peak, memory
// holds the configuration bytes, the document's tape and the table: no tree of the document and
// no model of 100k routes on top.
import { parseConfigBytes } from "../config/parse";
import { parseRulesDocumentBytes } from "../config/document";
import { Config, KeySource } from "../config/model";
import { RulesService } from "../config/service";
import { ConfigSizes, sizeRoute } from "../config/sizes";
import { RuleTable } from "./table";
import { TableBuilder } from "./builder";

/** A table, or the error line that refused the configuration (or document). */
export class Compiled {
  /** The configuration's rules service (compileConfiguration only), or null. */
  service: RulesService | null = null;
  /** What a rules document for this configuration is compiled with (compileConfiguration only). */
  keySources: KeySource[] = [];
  decisionHeader: string | null = null;
  /** The configuration's versionHeader (compileConfiguration only): see RuleTable.setVersion. */
  versionHeader: string | null = null;
  /** The document's version (compileRulesDocument only). */
  version: string | null = null;

  constructor(public readonly table: RuleTable | null, public readonly error: string | null) {}
}

/** Compiles the configuration bytes (UTF-8 JSON) at ptr..ptr+len; they are not kept. */
export function compileConfiguration(ptr: usize, len: i32): Compiled {
  let builder = new TableBuilder(); // the parse holds it while it collects (config/form.ts)
  let error = parseConfigBytes(ptr, len, builder);
  if (error !== null) {
    builder.discard();
    return new Compiled(null, error);
  }
  let compiled = new Compiled(builder.table, null);
  compiled.service = builder.service;
  compiled.keySources = builder.keySources;
  compiled.decisionHeader = builder.decisionHeader;
  compiled.versionHeader = builder.versionHeader;
  return compiled;
}

/**
 * Compiles the rules document bytes at ptr..ptr+len (not kept) with a configuration's key
 * sources and decision header. Nothing is replaced here: the caller swaps the table in.
 */
export function compileRulesDocument(ptr: usize, len: i32, keySources: KeySource[], decisionHeader: string | null): Compiled {
  let builder = new TableBuilder(); // the parse holds it while it collects (config/form.ts)
  let r = parseRulesDocumentBytes(ptr, len, keySources, decisionHeader, builder);
  if (r.error !== null) {
    builder.discard();
    return new Compiled(null, r.error);
  }
  let compiled = new Compiled(builder.table, null);
  compiled.version = r.version;
  return compiled;
}

/**
 * Compiles an already parsed configuration (a Config: tests and tools; the filter compiles
 * straight from the document, above). Never fails: the parser has validated everything.
 */
export function compileConfig(config: Config): RuleTable {
  let routes = config.routes;
  let sizes = new ConfigSizes(); // counts only: the block grows for the text
  for (let i = 0; i < routes.length; i++) {
    let route = unchecked(routes[i]);
    sizeRoute(sizes, 0, route.keys.length + route.prefixes.length, 0, route.hosts.length);
  }
  let builder = new TableBuilder();
  builder.unknownKey = config.unknownKey;
  builder.unknownAction = config.unknownAction;
  builder.begin(sizes);
  for (let i = 0; i < routes.length; i++) builder.route(unchecked(routes[i]));
  builder.end(config.keySources, config.defaultAction, config.decisionHeader);
  return builder.table!;
}
