// Turns a bench run into bench/results.json (everything measured) and bench/results.md (the
// table quoted on the issue: figures, ratios to the baselines, targets).
import { type CapacityModel, capacityLines, capacityModel, measuredCosts } from './capacity.js';
import { claimCost, claimCostLines, claimCosts, servesClaimPath } from './claimCost.js';
import type { CpuUse } from './cpu.js';
import type { SaleTally } from './invariants.js';
import type { RedisUse } from './redisStats.js';
import type { DecisionLatency } from './salesScan.js';
import type { BaselinesResult } from './scenarios/baselines.js';
import type { ClaimRun } from './scenarios/claimPath.js';
import type { DecisionConsumerResult } from './scenarios/decisionConsumer.js';
import type { ReplayResult } from './scenarios/replay.js';
import type { SoldOutResult } from './scenarios/soldOut.js';
import { type DecisionShardsResult, shardLines, shardTargets } from './shardsReport.js';
import { topicSpec } from '../schemas/topics.js';

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
    decisionShards?: DecisionShardsResult;
    soldOut?: SoldOutResult;
    replay?: ReplayResult;
    baselines?: BaselinesResult;
  };
  /** The claim path at saturation: CPU of every process of the system and the stack per accepted claim. */
  claimPath?: ClaimPathCost;
  capacity?: CapacityModel;
  invariants: { sales: SaleTally[]; naive: string[]; redisOnly: string[]; ok: boolean };
  targets: Target[];
};

/** `shownOnly`: a figure shown beside a target for comparison, not judged. */
export type Target = { what: string; figure: number; target: string; met: boolean; shownOnly?: true };

export type ClaimPathCost = { acceptedPerSec: number; cpuMicrosPerAcceptedClaim: number; byGroup: Record<string, number> };

/** Every process serving the claim path (api, the other roles, Kafka, registry, Redis, PostgreSQL; not the load generator or the bench driver), per accepted claim. */
export function claimPathCost(r: BenchResults['scenarios']): ClaimPathCost | undefined {
  const sat = r.claimPath?.find((c) => c.name === 'saturation');
  if (!sat || sat.acceptedPerSec <= 0) return undefined;
  const cost = claimCost('claim path', sat.load.cpu, sat.acceptedPerSec, servesClaimPath);
  return { acceptedPerSec: sat.acceptedPerSec, cpuMicrosPerAcceptedClaim: cost.cpuMicros, byGroup: cost.byGroup };
}

export const CPU_PER_CLAIM_MOST_MICROS = 400;

/** The capacity model over this run's own figures: the one-shard decision stage (or the decision consumer alone) and the claim path at saturation. */
export function capacityOf(r: BenchResults['scenarios']): CapacityModel | undefined {
  const costs = measuredCosts(
    r.decisionShards?.runs.find((run) => run.shards === 1) ?? r.decisionConsumer,
    r.claimPath?.find((c) => c.name === 'saturation'),
    claimPathCost(r)?.cpuMicrosPerAcceptedClaim,
  );
  return costs && capacityModel(costs, { claimsPartitions: topicSpec('claims').partitions });
}

export function evaluateTargets(r: BenchResults['scenarios']): Target[] {
  const targets: Target[] = [];
  const sat = r.claimPath?.find((c) => c.name === 'saturation');
  const naive = r.baselines?.naive.rps;
  const ceiling = r.baselines?.ceiling.rps;
  const redisOnly = r.baselines?.redisOnly.rps;
  /** The claim path's saturation rate over a baseline's, against the least ratio it must reach. */
  const ratio = (what: string, baseline: number | undefined, least: number, target: string) => {
    if (sat && baseline) targets.push({ what, figure: sat.acceptedPerSec / baseline, target, met: sat.acceptedPerSec >= least * baseline });
  };
  ratio('claim path ÷ naive Postgres', naive, 3, '≥ 3×');
  ratio('claim path ÷ framework ceiling', ceiling, 0.7, '≥ 0.70');
  ratio('claim path ÷ Redis-only baseline', redisOnly, 0.5, '≥ 0.50');
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
  const cost = claimPathCost(r);
  if (cost)
    targets.push({
      what: 'CPU per accepted claim, claim path at saturation, every process (µs)',
      figure: cost.cpuMicrosPerAcceptedClaim,
      target: `≤ ${CPU_PER_CLAIM_MOST_MICROS} µs`,
      met: cost.cpuMicrosPerAcceptedClaim <= CPU_PER_CLAIM_MOST_MICROS,
    });
  if (r.decisionConsumer) {
    const v = r.decisionConsumer.decisionsPerSec;
    targets.push({ what: 'decision consumer (decisions/s)', figure: v, target: '≥ 20 000/s', met: v >= 20_000 });
  }
  targets.push(...shardTargets(r.decisionShards));
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
  const redisOnly = s.baselines?.redisOnly.rps;
  const lines: string[] = [
    `# Benchmark results`,
    '',
    `Run ${r.startedAt} → ${r.finishedAt} on ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; ` +
      `Kafka, the registry, Redis, PostgreSQL, the system under test and the load generator all on this machine. ` +
      `System under test, one process per group of roles: ${r.layout}. ` +
      'Load: autocannon in its own process. Produced by `npm run bench` (bench/run.ts).',
    '',
    '| scenario | figure | ÷ naive | ÷ ceiling | ÷ Redis-only |',
    '|---|---:|---:|---:|---:|',
  ];
  /** A row; with `perSec`, its ratios to the three baselines. */
  const row = (what: string, figure: string, perSec?: number) =>
    lines.push(
      `| ${what} | ${figure} | ${perSec === undefined ? ' |  | ' : `${ratio(perSec, naive)} | ${ratio(perSec, ceiling)} | ${ratio(perSec, redisOnly)}`} |`,
    );
  const latencies = (l: DecisionLatency) => `${ms(l.p50)} / ${ms(l.p99)} / ${ms(l.max)}`;
  for (const c of s.claimPath ?? []) {
    if (c.name === 'warmup') continue;
    if (c.name === 'saturation') {
      row('1. claim path, saturation: claims accepted (202) per s', int(c.acceptedPerSec), c.acceptedPerSec);
      row('1. claim path, saturation: claim-to-decision p50 / p99 / max (ms)', latencies(c.decisionLatencyMs));
      continue;
    }
    const accepted = `${int(c.offeredRate)}/s offered (${int(c.acceptedPerSec)}/s accepted)`;
    row(`1. claim path at ${accepted}: claim-to-decision p50 / p99 / max (ms)`, latencies(c.decisionLatencyMs));
  }
  if (s.decisionConsumer) {
    row('2. decision consumer alone: decisions per s (first → last decision)', int(s.decisionConsumer.decisionsPerSec));
    row('2. decision consumer alone: decisions per s (first decision → all committed)', int(s.decisionConsumer.decisionsPerSecToCommitted));
  }
  for (const run of s.decisionShards?.runs ?? [])
    row(
      `2b. decision stage on ${run.shards} shard${run.shards > 1 ? 's' : ''} (${run.shards} process${run.shards > 1 ? 'es' : ''}): decisions per s (first → last decision; per CPU-second)`,
      `${int(run.decisionsPerSec)} (${int(run.perCoreRate)})`,
    );
  if (s.soldOut) row('3. sold-out storm: refusals (409) per s', int(s.soldOut.refusedPerSec), s.soldOut.refusedPerSec);
  if (s.replay) {
    const { postgres, redis } = s.replay;
    row(`4. replay into a fresh Postgres schema: events per s (${int(postgres.events)} events)`, int(postgres.eventsPerSec));
    row(`4. Redis store rebuilt from the topics: events per s (${int(redis.events)} events)`, int(redis.eventsPerSec));
  }
  if (s.baselines) {
    row('5a. baseline, naive Postgres route: claims per s', int(naive), naive);
    row('5b. baseline, framework ceiling (202, nothing behind): requests per s', int(ceiling), ceiling);
    row('5c. baseline, Redis only (one Lua call, 201/409 at once, no log): claims per s', int(redisOnly), redisOnly);
  }
  const rounds = (xs: number[]) => xs.map((x) => int(x)).join(', ');
  if (s.soldOut && s.baselines?.ceilingRounds?.length)
    lines.push(
      '',
      `The sold-out storm, the framework ceiling and the Redis-only baseline ran in alternating rounds (storm, ceiling, Redis-only, storm, ...) ` +
        `and each figure is the median round: storm ${rounds(s.soldOut.rounds)}/s, ceiling ${rounds(s.baselines.ceilingRounds)}/s, ` +
        `Redis-only ${rounds(s.baselines.redisOnlyRounds ?? [])}/s. Every ratio above uses those medians.`,
    );
  lines.push(...shardLines(s.decisionShards));
  lines.push(
    ...claimCostLines(
      claimCosts(
        s.claimPath?.find((c) => c.name === 'saturation'),
        s.baselines,
      ),
    ),
  );
  lines.push(...capacityLines(r.capacity));
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
  for (const run of s.decisionShards?.runs ?? [])
    cpuRow(`2b. decision stage, ${run.shards} shard(s), gate to last commit`, run.cpu, run.redis);
  if (s.soldOut) cpuRow('3. sold-out storm', s.soldOut.storm.cpu, s.soldOut.storm.redis);
  if (s.replay) cpuRow('4. replay into Postgres (with the comparison)', s.replay.postgres.cpu);
  if (s.baselines) {
    cpuRow('5a. naive Postgres baseline', s.baselines.naive.cpu, s.baselines.naive.redis);
    cpuRow('5b. framework ceiling', s.baselines.ceiling.cpu, s.baselines.ceiling.redis);
    cpuRow('5c. Redis-only baseline', s.baselines.redisOnly.cpu, s.baselines.redisOnly.redis);
  }
  lines.push('', '| target | figure | wanted | met |', '|---|---:|---|---|');
  for (const t of r.targets)
    lines.push(
      `| ${t.what} | ${t.figure < 10 ? t.figure.toFixed(2) : int(t.figure)} | ${t.target} | ${t.shownOnly ? `shown only (${t.met ? 'would be met' : 'would not be met'})` : t.met ? 'yes' : '**no**'} |`,
    );
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
  if (s.baselines) {
    const { naive: n, redisOnly: o } = s.baselines;
    lines.push(`| naive baseline | ${int(n.stock)} | ${int(n.orders)} | – | – | ${n.violations.join('; ') || 'none'} |`);
    const refused = o.statusCodes['409'] ?? 0;
    lines.push(
      `| Redis-only baseline (median round) | ${int(o.stock)} | ${int(o.holders)} | 409 ${int(refused)} | ${int(o.stock - o.stockLeft)} | ${o.violations.join('; ') || 'none'} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
