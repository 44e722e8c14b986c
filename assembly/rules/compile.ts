// Configuration → rule table: from the bytes, the way onConfigure needs it (compileConfiguration),
// or from a parsed Config, for tests and tools (compileConfig). The routes go from the JSON
// document straight into the table (config/sink.ts, rules/builder.ts), so at the peak, memory
// holds the configuration bytes, the document's tape and the table: no tree of the document and
// no model of 100k routes on top.
import { parseConfigBytes } from "../config/parse";
import { Config } from "../config/model";
import { ConfigSizes } from "../config/sizes";
import { RuleTable } from "./table";
import { TableBuilder } from "./builder";

/** A table, or the error line that refused the configuration. */
export class Compiled {
  constructor(public readonly table: RuleTable | null, public readonly error: string | null) {}
}

/** Compiles the configuration bytes (UTF-8 JSON) at ptr..ptr+len; they are not kept. */
export function compileConfiguration(ptr: usize, len: i32): Compiled {
  let builder = new TableBuilder();
  let error = parseConfigBytes(ptr, len, builder);
  if (error !== null) {
    builder.discard();
    return new Compiled(null, error);
  }
  return new Compiled(builder.table, null);
}

/**
 * Compiles an already parsed configuration (a Config: tests and tools; the filter compiles
 * straight from the document, above). Never fails: the parser has validated everything.
 */
export function compileConfig(config: Config): RuleTable {
  let routes = config.routes;
  let sizes = new ConfigSizes(); // counts only: the block grows for the text
  sizes.routes = routes.length;
  for (let i = 0; i < routes.length; i++) sizes.keys += unchecked(routes[i]).keys.length;
  let builder = new TableBuilder();
  builder.begin(sizes);
  for (let i = 0; i < routes.length; i++) builder.route(unchecked(routes[i]));
  builder.end(config.keySources, config.defaultAction, config.decisionHeader);
  return builder.table!;
}
