// Self and inclusive time per function of a V8 .cpuprofile (node --cpu-prof), largest first:
// `node bench/profile-summary.mjs file.cpuprofile [top] [filter]`. Meant for the wasm frames of a
// build with a name section (bench/configure.ts with ROUTEKEY_WASM); percentages are of the time
// inside `filter` frames (default proxy_on_configure), so the host's own work is left out.
import fs from 'node:fs';
const [file, top = '40', filter = 'proxy_on_configure'] = process.argv.slice(2);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const nameOf = (n) => n.callFrame.functionName || '(anon)';
const time = new Map();
prof.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const self = new Map(), incl = new Map();
let total = 0;
for (const [id, us] of time) {
  const chain = [];
  for (let x = id; x !== undefined; x = parent.get(x)) chain.push(nameOf(byId.get(x)));
  if (!chain.some((c) => c.includes(filter))) continue;
  total += us;
  self.set(chain[0], (self.get(chain[0]) ?? 0) + us);
  for (const c of new Set(chain)) incl.set(c, (incl.get(c) ?? 0) + us);
}
const show = (title, m) => {
  console.log(title);
  for (const [name, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) {
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${(100 * us / total).toFixed(1).padStart(5)} %  ${name}`);
  }
};
show('inclusive', incl);
show('self', self);
console.log(`${(total / 1000).toFixed(1).padStart(9)} ms inside ${filter}`);
