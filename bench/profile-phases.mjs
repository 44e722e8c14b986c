// Configure time by phase from a V8 .cpuprofile of bench/configure.ts run on a build with a name
// section (see bench/profile-summary.mjs): each sample inside proxy_on_configure goes to the
// innermost phase on its stack; allocation and GC frames (~lib/rt/) are their own phase, whoever
// called them, and so is the debug build's ~stack_check (not in the release build).
//   node bench/profile-phases.mjs file.cpuprofile
import fs from 'node:fs';
const PHASES = [
  ['JSON tokenizer (json/parse.ts, document.ts push)', /json\/parse\/|parseJsonBytes/],
  ['size walk (config/sizes.ts)', /config\/sizes\//],
  ['uniqueness sets (json/stringset.ts)', /json\/stringset\//],
  ['table writes (rules/builder.ts, arena.ts)', /rules\/builder|ConfigSink#route|rules\/arena/],
  ['per-route parse into GC objects (config/*)', /config\/(routes|action|destination|headers|form|native|keysource|errors)|json\/value/],
];
const prof = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const time = new Map();
prof.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const out = new Map();
let total = 0;
const add = (k, us) => out.set(k, (out.get(k) ?? 0) + us);
for (const [id, us] of time) {
  const chain = [];
  for (let x = id; x !== undefined; x = parent.get(x)) chain.push(byId.get(x).callFrame.functionName);
  if (!chain.some((c) => c.includes('proxy_on_configure'))) continue;
  total += us;
  const top = chain[0];
  if (top === '~stack_check') { add('~stack_check (debug build only)', us); continue; }
  if (/^~lib\/rt\/(itcms\/step|itcms\/__collect|itcms\/__visit|itcms\/Object#makeGray|__visit)/.test(top)) { add('GC: itcms step/visit (incremental marking, sweeping)', us); continue; }
  if (/^~lib\/rt\//.test(top)) { add('allocator: itcms __new, tlsf alloc/free', us); continue; }
  const phase = chain.map((c) => PHASES.find(([, re]) => re.test(c))).find((p) => p !== undefined);
  add(phase ? phase[0] : `other (${top})`.slice(0, 60), us);
}
const rows = [...out].sort((a, b) => b[1] - a[1]);
let other = 0;
for (const [k, us] of rows) {
  if (k.startsWith('other') && 100 * us / total < 0.5) { other += us; continue; }
  console.log(`${(100 * us / total).toFixed(1).padStart(5)} %  ${k}`);
}
console.log(`${(100 * other / total).toFixed(1).padStart(5)} %  other (small)`);
console.log(`${(total / 1000).toFixed(0)} ms sampled inside proxy_on_configure`);
