// Regenerates config-cases.ts from ../config-cases.json (as-pect cannot read files).
//   node tests/assembly/gen-config-cases.mjs          write config-cases.ts
//   node tests/assembly/gen-config-cases.mjs --check  exit 1 when it is out of date
import { readFileSync, writeFileSync } from "node:fs";

const here = new URL(".", import.meta.url);
const cases = JSON.parse(readFileSync(new URL("../config-cases.json", here), "utf8"));
// JSON.stringify, then \u-escape non-ASCII so the file stays ASCII (as the Python original did).
const lit = (s) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));
const text = [
  "// GENERATED from tests/config-cases.json by gen-config-cases.mjs (as-pect cannot read files).",
  '// Each case: [name, config, error] — error "" means the config is accepted.',
  "export const CONFIG_CASES: string[][] = [",
  ...cases.map((c) => `  [${lit(c.name)}, ${lit(c.config)}, ${lit(c.ok ? "" : c.error)}],`),
  "];",
  "",
].join("\n");
const out = new URL("config-cases.ts", here);
if (process.argv.includes("--check")) {
  if (readFileSync(out, "utf8") !== text) {
    console.error("tests/assembly/config-cases.ts is out of date: run node tests/assembly/gen-config-cases.mjs");
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
}
