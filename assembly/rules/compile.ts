// Configuration bytes → rule table, the way onConfigure needs it. The routes go from the JSON
// document straight into the table (config/sink.ts, rules/builder.ts), so at the peak, memory
// holds the configuration bytes, the document's tape and the table: no tree of the document and
// no model of 100k routes on top.
import { parseConfigBytes } from "../config/parse";
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
