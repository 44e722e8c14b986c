// `npm run bench`: the built filter's costs, in row groups, printed and written to
// bench/results.json (then bench/readme.ts renders the README's performance tables from it and
// bench/chart.ts draws bench/results.svg).
//
// Row groups (each its own module, each a key of results.json):
//   rows        bench/per-request.ts  ns per request, host calls, configure time, memory
//   live_rules  bench/live-rules.ts   adopting a published 10k/100k-route rules document per VM
//   scoped      bench/scoped.ts       routes per service and key prefixes, 10 and 100k routes
//   runner_load (kept as written by `npm run bench:runner-load`, bench/runner-load.ts)
// A new group: a module exporting an async function that returns its rows, one entry in GROUPS,
// and its table in bench/readme.ts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { perRequestRows, REQUESTS, ROUNDS, WARMUP } from './per-request.ts';
import { liveRulesRows } from './live-rules.ts';
import { scopedRows } from './scoped.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'bench/results.json');

type Rows = Array<Record<string, number | string>>;
const GROUPS: Array<[key: string, run: () => Promise<Rows>]> = [
  ['rows', perRequestRows],
  ['live_rules', liveRulesRows],
  ['scoped', scopedRows],
];

async function main(): Promise<void> {
  const previous = fs.existsSync(OUT) ? JSON.parse(fs.readFileSync(OUT, 'utf8')) as Record<string, unknown> : {};
  const out: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, requests: REQUESTS, rounds: ROUNDS, warmup: WARMUP };
  console.log(`requests per round: ${REQUESTS}, median and spread of ${ROUNDS} rounds (after ${WARMUP} warm-up); node ${process.version}`);
  for (const [key, run] of GROUPS) {
    const t0 = Date.now();
    out[key] = await run();
    console.log(`${key} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    console.table(out[key]);
  }
  // Figures of the separate, heavier scripts are kept until they run again.
  if (previous.runner_load !== undefined) out.runner_load = previous.runner_load;
  fs.writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
  console.log(`written to ${path.relative(root, OUT)}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
