// `npm run fuzz -- [--seed S] [--cases N] [--time-ms MS] [--case N] [--allow ID,…] [--allow-known]
// [--max-path BYTES] [--json FILE]`: runs the fuzzer (engine.ts) against build/routekey.wasm and
// exits 1 on any finding not allowed. Every failure line names its seed and case; `--seed S
// --case N` replays one.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fuzz } from './engine.ts';
import { INVARIANTS, KNOWN } from './invariants.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seed: { type: 'string' }, cases: { type: 'string', default: '2000' }, 'time-ms': { type: 'string' },
    case: { type: 'string' }, allow: { type: 'string', multiple: true, default: [] }, 'allow-known': { type: 'boolean', default: false },
    'max-path': { type: 'string' }, json: { type: 'string' }, wasm: { type: 'string', default: path.join(root, 'build/routekey.wasm') },
    invariants: { type: 'boolean', default: false },
  },
});

if (values.invariants) {
  for (const i of INVARIANTS) console.log(`${i.id.padEnd(20)} ${i.kind.padEnd(7)} ${KNOWN.includes(i.id) ? 'known ' : '      '}${i.rule}`);
  process.exit(0);
}

const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const allow = [...values.allow.flatMap((a) => a.split(',')), ...(values['allow-known'] ? KNOWN : [])].filter(Boolean);
const unknown = allow.filter((a) => !INVARIANTS.some((i) => i.id === a));
if (unknown.length > 0) {
  console.error(`unknown invariant id(s): ${unknown.join(', ')} (see --invariants)`);
  process.exit(2);
}
console.log(`fuzz: seed ${seed}${values.case !== undefined ? `, case ${values.case}` : `, ${values.cases} cases`}${allow.length ? `, allowed: ${allow.join(', ')}` : ''}`);
const report = await fuzz({
  wasm: new Uint8Array(fs.readFileSync(values.wasm)),
  seed,
  cases: Number(values.cases),
  timeMs: values['time-ms'] !== undefined ? Number(values['time-ms']) : undefined,
  only: values.case !== undefined ? Number(values.case) : undefined,
  allow,
  maxPath: values['max-path'] !== undefined ? Number(values['max-path']) : undefined,
  log: (l) => console.log(l),
});
const { failures, skipped, ...summary } = report;
console.log(`fuzz: ${report.cases} cases (config ${report.byKind.config}, bytes ${report.byKind.bytes}, request ${report.byKind.request}, rules ${report.byKind.rules}), ` +
  `${report.accepted} configurations accepted, ${report.refused} refused, ${report.requests} requests, ${report.deliveries} callout responses, ` +
  `memory ${report.memory.afterWarmup} → ${report.memory.end} bytes, ${report.durationMs} ms`);
for (const [id, s] of Object.entries(skipped)) {
  console.log(`allowed ${id}: ${s.count} finding(s), first: seed ${s.first.seed} --case ${s.first.caseIndex}: ${s.first.detail.slice(0, 200)}`);
}
const unseen = allow.filter((id) => KNOWN.includes(id) && !(id in skipped));
if (unseen.length > 0 && values.case === undefined) console.log(`known but not seen in this run (fixed? then drop from KNOWN in fuzz/invariants.ts): ${unseen.join(', ')}`);
if (values.json) fs.writeFileSync(values.json, JSON.stringify({ ...summary, failures, skipped }, null, 1) + '\n');
if (failures.length > 0) {
  const first = failures[0]!;
  console.log(`fuzz: ${failures.length} failure(s). Replay the first: npm run fuzz -- --seed ${first.seed} --case ${first.caseIndex}`);
  process.exit(1);
}
console.log('fuzz: no failures');
