// Turns a bench run into bench/results.json (everything measured) and bench/results.md (the
// table quoted on the issue: figures, ratios to the baselines, targets).
import type { CpuUse } from './cpu.js';
import type { SaleTally } from './invariants.js';
import type { RedisUse } from './redisStats.js';
import type { DecisionLatency } from './salesScan.js';
import type { BaselinesResult } from './scenarios/baselines.js';
import type { ClaimRun } from './scenarios/claimPath.js';
import type { DecisionConsumerResult } from './scenarios/decisionConsumer.js';
import type { ReplayResult } from './scenarios/replay.js';
import type { SoldOutResult } from './scenarios/soldOut.js';

export type ClaimRunReport = ClaimRun & { acceptedPerSec: number; decisionLatencyMs: DecisionLatency };

export type BenchResults = {
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  layout: string;
  topicPrefix: string;
  scenarios: {
    claimPath?: ClaimRunReport[];
    decisionConsumer?: DecisionConsumerResult;
    soldOut?: SoldOutResult;
    replay?: ReplayResult;
    baselines?: BaselinesResult;
  };
  invariants: { sales: SaleTally[]; naive: string[]; ok: boolean };
  targets: Target[];
};

export type Target = { what: string; figure: number; target: string; met: boolean };

export function evaluateTargets(r: BenchResults['scenarios']): Target[] {
  const targets: Target[] = [];
  const sat = r.claimPath?.find((c) => c.name === 'saturation');
  const naive = r.baselines?.naive.rps;
  const ceiling = r.baselines?.ceiling.rps;
  if (sat && naive)
    targets.push({
      what: 'claim path ÷ naive Postgres',
      figure: sat.acceptedPerSec / naive,
      target: '≥ 3×',
      met: sat.acceptedPerSec >= 3 * naive,
    });
  if (sat && ceiling) {
    targets.push({
      what: 'claim path ÷ framework ceiling',
      figure: sat.acceptedPerSec / ceiling,
      target: '≥ 0.70',
      met: sat.acceptedPerSec >= 0.7 * ceiling,
    });
  }
  const at2k = r.claimPath?.find((c) => c.offeredRate === 2_000);
  if (at2k) {
    const p99 = at2k.decisionLatencyMs.p99;
    targets.push({
      what: 'p99 claim-to-decision at 2 k/s offered (ms)',
      figure: p99,
      target: '≤ 50 ms',
      met: p99 <= 50 && at2k.decisionLatencyMs.undecided === 0,
    });
  }
  if (r.decisionConsumer) {
    const v = r.decisionConsumer.decisionsPerSec;
    targets.push({ what: 'decision consumer (decisions/s)', figure: v, target: '≥ 20 000/s', met: v >= 20_000 });
  }
  if (r.soldOut && ceiling) {
    const v = r.soldOut.refusedPerSec;
    targets.push({ what: 'sold-out refusals ÷ framework ceiling', figure: v / ceiling, target: '≥ 0.80', met: v >= 0.8 * ceiling });
  }
  if (r.replay) {
    targets.push({
      what: 'replay, Postgres projections (events/s)',
      figure: r.replay.postgres.eventsPerSec,
      target: '≥ 20 000/s',
      met: r.replay.postgres.eventsPerSec >= 20_000,
    });
    targets.push({
      what: 'replay, Redis store (events/s)',
      figure: r.replay.redis.eventsPerSec,
      target: '≥ 20 000/s',
      met: r.replay.redis.eventsPerSec >= 20_000,
    });
  }
  return targets;
}

const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const ratio = (n: number | undefined, base: number | undefined) => (n === undefined || !base ? '' : `${(n / base).toFixed(2)}×`);
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n < 10 ? 1 : 0)}` : '–');

export function markdown(r: BenchResults): string {
  const s = r.scenarios;
  const naive = s.baselines?.naive.rps;
  const ceiling = s.baselines?.ceiling.rps;
  const lines: string[] = [
    `# Benchmark results`,
    '',
    `Run ${r.startedAt} → ${r.finishedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; ` +
      `Kafka, the registry, Redis, PostgreSQL, the system under test and the load generator all on this machine. ` +
      `System under test, one process per group of roles: ${r.layout}. ` +
      'Load: autocannon in its own process. Produced by `npm run bench` (bench/run.ts).',
    '',
    '| scenario | figure | ÷ naive | ÷ ceiling |',
    '|---|---:|---:|---:|',
  ];
  for (const c of s.claimPath ?? []) {
    if (c.name === 'warmup') continue;
    if (c.name === 'saturation') {
      lines.push(
        `| 1. claim path, saturation: claims accepted (202) per s | ${int(c.acceptedPerSec)} | ${ratio(c.acceptedPerSec, naive)} | ${ratio(c.acceptedPerSec, ceiling)} |`,
      );
      lines.push(
        `| 1. claim path, saturation: claim-to-decision p50 / p99 / max (ms) | ${ms(c.decisionLatencyMs.p50)} / ${ms(c.decisionLatencyMs.p99)} / ${ms(c.decisionLatencyMs.max)} | | |`,
      );
      continue;
    }
    lines.push(
      `| 1. claim path at ${int(c.offeredRate)}/s offered (${int(c.acceptedPerSec)}/s accepted): claim-to-decision p50 / p99 / max (ms) | ` +
        `${ms(c.decisionLatencyMs.p50)} / ${ms(c.decisionLatencyMs.p99)} / ${ms(c.decisionLatencyMs.max)} | | |`,
    );
  }
  if (s.decisionConsumer) {
    const d = s.decisionConsumer;
    lines.push(`| 2. decision consumer alone: decisions per s (first → last decision) | ${int(d.decisionsPerSec)} | | |`);
    lines.push(
      `| 2. decision consumer alone: decisions per s (first decision → all committed) | ${int(d.decisionsPerSecToCommitted)} | | |`,
    );
  }
  if (s.soldOut)
    lines.push(
      `| 3. sold-out storm: refusals (409) per s | ${int(s.soldOut.refusedPerSec)} | ${ratio(s.soldOut.refusedPerSec, naive)} | ${ratio(s.soldOut.refusedPerSec, ceiling)} |`,
    );
  if (s.replay) {
    lines.push(
      `| 4. replay into a fresh Postgres schema: events per s (${int(s.replay.postgres.events)} events) | ${int(s.replay.postgres.eventsPerSec)} | | |`,
    );
    lines.push(
      `| 4. Redis store rebuilt from the topics: events per s (${int(s.replay.redis.events)} events) | ${int(s.replay.redis.eventsPerSec)} | | |`,
    );
  }
  if (s.baselines) {
    lines.push(`| 5a. baseline, naive Postgres route: claims per s | ${int(naive)} | 1.00× | ${ratio(naive, ceiling)} |`);
    lines.push(
      `| 5b. baseline, framework ceiling (202, nothing behind): requests per s | ${int(ceiling)} | ${ratio(ceiling, naive)} | 1.00× |`,
    );
  }
  const rounds = (xs: number[]) => xs.map((x) => int(x)).join(', ');
  if (s.soldOut && s.baselines?.ceilingRounds?.length)
    lines.push(
      '',
      `The sold-out storm and the framework ceiling ran in alternating rounds (storm, ceiling, storm, ...) and each figure is the median round: ` +
        `storm ${rounds(s.soldOut.rounds)}/s, ceiling ${rounds(s.baselines.ceilingRounds)}/s. Every ratio above uses that ceiling.`,
    );
  lines.push(
    '',
    "Where the two cores went during each measurement (cores busy, by process group; `other` is anything outside the bench and the stack, and processes that ended before the measurement did, such as the replay's Postgres connections):",
    '',
  );
  lines.push('| measurement | machine | by group | Redis thread busy |', '|---|---:|---|---:|');
  const cpuRow = (what: string, cpu: CpuUse | undefined, redis?: RedisUse) => {
    if (!cpu) return;
    const groups = Object.entries(cpu.cores)
      .filter(([, v]) => v >= 0.02)
      .map(([g, v]) => `${g} ${v.toFixed(2)}`)
      .join(', ');
    lines.push(`| ${what} | ${cpu.machine.toFixed(2)} | ${groups} | ${redis ? redis.busy.toFixed(2) : ''} |`);
  };
  for (const c of s.claimPath ?? []) if (c.name !== 'warmup') cpuRow(`1. claim path, ${c.name}`, c.load.cpu, c.load.redis);
  if (s.decisionConsumer) cpuRow('2. decision consumer alone', s.decisionConsumer.cpu, s.decisionConsumer.redis);
  if (s.soldOut) cpuRow('3. sold-out storm', s.soldOut.storm.cpu, s.soldOut.storm.redis);
  if (s.replay) cpuRow('4. replay into Postgres (with the comparison)', s.replay.postgres.cpu);
  if (s.baselines) {
    cpuRow('5a. naive Postgres baseline', s.baselines.naive.cpu, s.baselines.naive.redis);
    cpuRow('5b. framework ceiling', s.baselines.ceiling.cpu, s.baselines.ceiling.redis);
  }
  lines.push('', '| target | figure | wanted | met |', '|---|---:|---|---|');
  for (const t of r.targets)
    lines.push(`| ${t.what} | ${t.figure < 10 ? t.figure.toFixed(2) : int(t.figure)} | ${t.target} | ${t.met ? 'yes' : '**no**'} |`);
  lines.push(
    '',
    `Invariants ${r.invariants.ok ? 'held' : '**BROKEN**'} on every sale:`,
    '',
    '| sale | stock | granted | rejected | most held at once | violations |',
    '|---|---:|---:|---|---:|---|',
  );
  for (const t of r.invariants.sales) {
    const rejected =
      Object.entries(t.rejected)
        .map(([k, v]) => `${k} ${int(v)}`)
        .join(', ') || '–';
    lines.push(
      `| ${t.saleId} | ${int(t.stock)} | ${int(t.granted)} | ${rejected} | ${int(t.peakHeld)} | ${t.violations.length ? t.violations.join('; ') : 'none'} |`,
    );
  }
  if (s.baselines)
    lines.push(
      `| naive baseline | ${int(s.baselines.naive.stock)} | ${int(s.baselines.naive.orders)} | – | – | ${s.baselines.naive.violations.join('; ') || 'none'} |`,
    );
  return `${lines.join('\n')}\n`;
}
