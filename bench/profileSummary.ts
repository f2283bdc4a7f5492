// Summarises a V8 CPU profile (node --cpu-prof; BENCH_PROFILE=1 makes one per server): where
// the samples fall, by package or source area (self time) and by function (self and
// inclusive time), so a bench note can say where the time goes without a GUI.
//   tsx bench/profileSummary.ts <file.cpuprofile> [top]
import fs from 'node:fs';

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

const ROOT = new URL('..', import.meta.url).pathname;

/** A package, a Node built-in module, or our own source file (relative to the repository). */
export function sourceOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
}

/** Our files grouped by their top two folders; everything else as sourceOf says. */
export function areaOf(url: string, functionName: string): string {
  const source = sourceOf(url, functionName);
  if (!url || url.startsWith('node:') || url.includes('node_modules')) return source;
  return source.split('/').slice(0, 2).join('/');
}

export function summarise(profile: Profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${sourceOf(n.callFrame.url, n.callFrame.functionName)}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  // Shares are of the time the thread was busy: idle samples are left out.
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += dt;
    self.set(key(node), (self.get(key(node)) ?? 0) + dt);
    const area = areaOf(node.callFrame.url, node.callFrame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + dt);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at)!);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const rank = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ what: k, ms: Math.round(us / 1000), share: us / total }));
  return { totalMs: Math.round(total / 1000), areas: rank(areas, top), self: rank(self, top), inclusive: rank(inclusive, top * 2) };
}

if (process.argv[1]?.endsWith('profileSummary.ts')) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profileSummary.ts <file.cpuprofile> [top]');
  const s = summarise(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25));
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  console.log(`busy: ${s.totalMs} ms sampled\n\nself time by area:`);
  for (const r of s.areas) console.log(`  ${pct(r.share)}  ${r.what}`);
  console.log('\nself time by function:');
  for (const r of s.self) console.log(`  ${pct(r.share)}  ${r.what}`);
  console.log('\ninclusive time by function:');
  for (const r of s.inclusive) console.log(`  ${pct(r.share)}  ${r.what}`);
}
