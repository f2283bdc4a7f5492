// The decision stage on 1, 2 and 4 shards, as figures: the rate each run reached, its rate per
// core of the machine, how each shard count compares with one, whether every process really
// owned one loaded partition, and the targets. On two cores four processes cannot run four
// times as fast, so scaling is judged per core: what K shards would reach with K times the
// cores one shard used.
import type { CpuUse } from './cpu.js';
import type { SaleTally } from './invariants.js';
import type { RedisUse } from './redisStats.js';
import type { Owners } from './shardLayout.js';

/** One decision-maker process as the group saw it: the partitions it held, those that were loaded, what it decided. */
export type ProcessShare = { member: string; partitions: number[]; loaded: number[]; decisions: number };

export type ShardRun = {
  shards: number;
  layout: string;
  topicPrefix: string;
  /** Timed claims; before them each process decided `warmupPerProcess` claims, untimed. */
  claims: number;
  warmupPerProcess: number;
  decisions: number;
  firstToLastSeconds: number;
  decisionsPerSec: number;
  toCommittedSeconds: number;
  decisionsPerSecToCommitted: number;
  /** From the gate's opening (the preload's commit) to the last commit. */
  cpu: CpuUse;
  /** The same as CPU seconds per process group, the K decision-makers summed (cpuSecondsByGroup). */
  cpuSeconds: Record<string, number>;
  redis: RedisUse;
  /** Decisions per CPU-second of the machine's busy cores (neighbours left out) over the same window: perCoreRate. */
  perCoreRate: number;
  /** Cores other processes used in the second before the gate opened. */
  neighboursBefore: number;
  processes: ProcessShare[];
  /** Every process owned exactly one loaded partition, and the group's assignment was the same after the run. */
  oneLoadedPartitionEach: boolean;
  assignmentHeld: boolean;
  tallies: SaleTally[];
};

export type DecisionShardsResult = { runs: ShardRun[] };

/**
 * Decisions per CPU-second of the machine's busy cores, less what processes outside the bench
 * and the stack used meanwhile (cpu.ts's `other`): on a quiet machine that is the whole
 * machine; on this shared one a neighbour's second core would otherwise halve the figure.
 */
export function perCoreRate(decisions: number, cpu: Pick<CpuUse, 'machine' | 'seconds' | 'cores'>): number {
  const cpuSeconds = (cpu.machine - (cpu.cores.other ?? 0)) * cpu.seconds;
  return cpuSeconds > 0 ? decisions / cpuSeconds : Number.NaN;
}

/** Each member's partitions, the loaded ones among them, and the decisions made on those. */
export function processShares(
  owners: Owners,
  loaded: ReadonlyMap<number, number>,
  decidedByPartition: ReadonlyMap<number, number>,
): ProcessShare[] {
  const byMember = new Map<string, number[]>();
  for (const [partition, member] of [...owners].sort((a, b) => a[0] - b[0]))
    byMember.set(member, [...(byMember.get(member) ?? []), partition]);
  return [...byMember].map(([member, partitions]) => {
    const mine = partitions.filter((p) => (loaded.get(p) ?? 0) > 0);
    return { member, partitions, loaded: mine, decisions: mine.reduce((n, p) => n + (decidedByPartition.get(p) ?? 0), 0) };
  });
}

/** K processes, each with one loaded partition: the run measured what it set out to. */
export const oneLoadedPartitionEach = (shards: number, processes: readonly ProcessShare[]): boolean =>
  processes.length === shards && processes.every((p) => p.loaded.length === 1);

/** CPU seconds of each process group over a run; the K decision-makers summed as `decision-makers`. */
export function cpuSecondsByGroup(cpu: CpuUse): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [group, cores] of Object.entries(cpu.cores)) {
    const name = group.startsWith(DECISION_MAKER) ? 'decision-makers' : group;
    out[name] = (out[name] ?? 0) + cores * cpu.seconds;
  }
  return out;
}

/** The name every decision-maker process of this scenario starts with (cpu.ts groups by process name). */
export const DECISION_MAKER = 'sut-claims-shard-';

export type Scaling = { shards: number; wall: number; perCore: number };

/** Against one shard: the wall rate's ratio, and K × the per-core rate's ratio (what K shards would do with K times one shard's cores). */
export function scaling(runs: readonly ShardRun[]): Scaling[] {
  const one = runs.find((r) => r.shards === 1);
  if (!one) return [];
  return runs.map((r) => ({
    shards: r.shards,
    wall: r.decisionsPerSec / one.decisionsPerSec,
    perCore: (r.shards * r.perCoreRate) / one.perCoreRate,
  }));
}

export type ShardTarget = { what: string; figure: number; target: string; met: boolean; shownOnly?: true };

export const SHARD_RATE_LEAST = 20_000;
export const TWO_SHARD_SPEEDUP_LEAST = 1.6;

export function shardTargets(result: DecisionShardsResult | undefined): ShardTarget[] {
  if (!result) return [];
  const targets: ShardTarget[] = [];
  const one = result.runs.find((r) => r.shards === 1);
  if (one)
    targets.push({
      what: 'decision stage, 1 shard (decisions/s)',
      figure: one.decisionsPerSec,
      target: '≥ 20 000/s',
      met: one.decisionsPerSec >= SHARD_RATE_LEAST,
    });
  const two = scaling(result.runs).find((s) => s.shards === 2);
  if (two) {
    targets.push({
      what: 'decision stage, 2 shards ÷ 1 shard, per core (2 × per-core rate ÷ 1 shard’s): the target, two cores',
      figure: two.perCore,
      target: '≥ 1.6×',
      met: two.perCore >= TWO_SHARD_SPEEDUP_LEAST,
    });
    targets.push({
      what: 'decision stage, 2 shards ÷ 1 shard, wall rate (shown, not judged: two cores)',
      figure: two.wall,
      target: '≥ 1.6×',
      met: two.wall >= TWO_SHARD_SPEEDUP_LEAST,
      shownOnly: true,
    });
  }
  return targets;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const sec = (n: number | undefined) => (n === undefined ? '–' : n.toFixed(1));

/** The results page's section on the decision stage on K shards. */
export function shardLines(result: DecisionShardsResult | undefined): string[] {
  if (!result?.runs.length) return [];
  const speedups = new Map(scaling(result.runs).map((s) => [s.shards, s]));
  const rows = result.runs.map((r) => {
    const s = speedups.get(r.shards);
    const cpu = r.cpuSeconds;
    const processes = r.processes.map(
      (p) => `[${p.partitions.join(',')}] ${p.loaded.map((l) => `p${l}`).join('+') || 'none'} ${int(p.decisions)}`,
    );
    return (
      `| ${r.shards} | ${int(r.decisionsPerSec)} | ${int(r.decisionsPerSecToCommitted)} | ${(r.cpu.machine - (r.cpu.cores.other ?? 0)).toFixed(2)} | ${int(r.perCoreRate)} | ` +
      `${s ? `${s.wall.toFixed(2)}×` : ''} | ${s ? `${s.perCore.toFixed(2)}×` : ''} | ` +
      `${sec(cpu['decision-makers'])} / ${sec(cpu.redis)} / ${sec(cpu.kafka)} / ${sec(cpu['bench driver'])} / ${sec(cpu.other)} | ${r.redis.busy.toFixed(2)} | ` +
      `${processes.join('; ')}${r.oneLoadedPartitionEach ? '' : ' **(not one loaded partition each)**'}` +
      `${r.assignmentHeld ? '' : ' **(reassigned during the run)**'} |`
    );
  });
  const first = result.runs[0]!;
  return [
    '',
    `Decision stage on 1, 2 and 4 shards: one decision-maker process (the claims role) per shard, one consumer group; layout ` +
      `"${first.layout}", ${int(first.claims)} claims a run, every claim granted, one Redis for all. The processes join ` +
      `the group first and each decides ${int(first.warmupPerProcess)} claims to warm up; the timed claims are then loaded in one ` +
      'Kafka transaction and its commit starts the clock, so no process decides before the others hold their partitions. ' +
      "Per core: decisions per CPU-second of the machine's busy cores, less " +
      'what processes outside the bench and the stack used (`other`: on a quiet machine, the whole machine). Speed-up per ' +
      "core: K × the per-core rate ÷ 1 shard's, what K shards would reach with K times the cores one shard used (the machine " +
      'has two cores, so the wall rate cannot show it).',
    '',
    '| shards | decisions/s (first → last) | to all committed | cores busy (machine − other) | per core (decisions per CPU-s) | speed-up, wall | speed-up, per core | CPU s: decision-makers / Redis / Kafka / bench driver / other | Redis thread busy | each process: [partitions] loaded → decisions |',
    '|---:|---:|---:|---:|---:|---:|---:|---|---:|---|',
    ...rows,
  ];
}
