// The decision stage on 1, 2 and 4 shards as figures: the rate per core of the machine, the
// speed-ups against one shard (wall and per core), the check that every process owned one
// loaded partition, and the targets, judged per core on a two-core machine.
import { describe, expect, it } from 'vitest';
import type { CpuUse } from '../../../bench/cpu.js';
import { type BenchResults, claimPathCost, evaluateTargets, markdown } from '../../../bench/report.js';
import {
  cpuSecondsByGroup,
  oneLoadedPartitionEach,
  perCoreRate,
  processShares,
  scaling,
  shardLines,
  type ShardRun,
  shardTargets,
} from '../../../bench/shardsReport.js';

const cpu = (seconds: number, machine: number, cores: Record<string, number> = {}): CpuUse => ({ seconds, machine, cores });

/** A run of `shards` shards deciding 60,000 claims at `perSec`, the machine `machine` cores busy meanwhile. */
function run(shards: number, perSec: number, machine: number): ShardRun {
  const seconds = 60_000 / perSec;
  const timed = cpu(seconds, machine, { 'sut-claims-shard-1': 0.8, 'sut-claims-shard-2': 0.1, redis: 0.4, kafka: 0.1 });
  return {
    shards,
    layout: 'K sales, one partition each',
    topicPrefix: `p-ds${shards}`,
    claims: 60_000,
    warmupPerProcess: 2_000,
    decisions: 60_000,
    firstToLastSeconds: seconds,
    decisionsPerSec: perSec,
    toCommittedSeconds: seconds,
    decisionsPerSecToCommitted: perSec,
    cpu: timed,
    cpuSeconds: cpuSecondsByGroup(timed),
    redis: { busy: 0.6, top: [] },
    perCoreRate: perCoreRate(60_000, timed),
    neighboursBefore: 0,
    processes: Array.from({ length: shards }, (_, i) => ({ member: `m${i}`, partitions: [i], loaded: [i], decisions: 60_000 / shards })),
    oneLoadedPartitionEach: true,
    assignmentHeld: true,
    tallies: [],
  };
}

describe('the per-core rate', () => {
  it("is decisions per CPU-second of the machine's busy cores", () => {
    // 20,000 decisions in 2 s with 1.25 cores busy: 2.5 CPU-seconds.
    expect(perCoreRate(20_000, cpu(2, 1.25, { redis: 0.4 }))).toBe(8_000);
  });

  it("leaves out what neighbours used: the bench's and the stack's cores only", () => {
    expect(perCoreRate(20_000, cpu(2, 1.95, { other: 0.7 }))).toBe(8_000);
  });

  it('is not a number when nothing was measured', () => {
    expect(perCoreRate(10, cpu(0, 0))).toBeNaN();
  });
});

describe('scaling against one shard', () => {
  it('gives the wall ratio and K × the per-core ratio', () => {
    // One shard: 20k/s on 1.25 cores = 16k per core. Two: 28k/s on 2 cores = 14k per core.
    const [one, two] = scaling([run(1, 20_000, 1.25), run(2, 28_000, 2)]);
    expect(one).toEqual({ shards: 1, wall: 1, perCore: 1 });
    expect(two?.wall).toBeCloseTo(1.4, 9);
    expect(two?.perCore).toBeCloseTo(1.75, 9);
  });

  it('has nothing to compare without a one-shard run', () => {
    expect(scaling([run(2, 28_000, 2)])).toEqual([]);
  });
});

describe('the decision-stage targets', () => {
  it('judges one shard against 20,000/s and two shards per core against 1.6×, showing the wall ratio unjudged', () => {
    const targets = shardTargets({ runs: [run(1, 20_000, 1.25), run(2, 28_000, 2), run(4, 30_000, 2)] });
    expect(targets.map((t) => [t.what.split(' (')[0], t.met, t.shownOnly ?? false])).toEqual([
      ['decision stage, 1 shard', true, false],
      ['decision stage, 2 shards ÷ 1 shard, per core', true, false],
      ['decision stage, 2 shards ÷ 1 shard, wall rate', false, true],
    ]);
  });

  it('misses the two-shard target when sharding costs more CPU per decision', () => {
    // 25k/s on 2 cores = 12.5k per core; 2 × 12.5 / 16 = 1.5625.
    const perCore = shardTargets({ runs: [run(1, 20_000, 1.25), run(2, 25_000, 2)] })[1];
    expect(perCore?.met).toBe(false);
    expect(perCore?.figure).toBeCloseTo(1.5625, 9);
  });

  it('misses one shard below 20,000/s', () => {
    expect(shardTargets({ runs: [run(1, 19_999, 1.25)] })[0]?.met).toBe(false);
  });
});

describe("each process's share", () => {
  const owners = new Map([
    [0, 'a'],
    [4, 'a'],
    [1, 'b'],
    [5, 'b'],
    [2, 'c'],
    [3, 'd'],
  ]);

  it('counts the loaded partitions and decisions of each member', () => {
    const loaded = new Map([
      [0, 100],
      [1, 100],
      [2, 100],
      [3, 100],
    ]);
    const processes = processShares(owners, loaded, loaded);
    expect(processes).toEqual([
      { member: 'a', partitions: [0, 4], loaded: [0], decisions: 100 },
      { member: 'b', partitions: [1, 5], loaded: [1], decisions: 100 },
      { member: 'c', partitions: [2], loaded: [2], decisions: 100 },
      { member: 'd', partitions: [3], loaded: [3], decisions: 100 },
    ]);
    expect(oneLoadedPartitionEach(4, processes)).toBe(true);
  });

  it('catches a member holding two loaded partitions while another idles', () => {
    const loaded = new Map([
      [0, 100],
      [4, 100],
      [1, 100],
      [2, 100],
    ]);
    const processes = processShares(owners, loaded, loaded);
    expect(processes.find((p) => p.member === 'd')).toMatchObject({ loaded: [], decisions: 0 });
    expect(oneLoadedPartitionEach(4, processes)).toBe(false);
  });

  it('catches fewer members than shards', () => {
    expect(oneLoadedPartitionEach(2, processShares(new Map([[0, 'a']]), new Map([[0, 1]]), new Map()))).toBe(false);
  });
});

describe('the results page', () => {
  it('sums the decision-makers into one CPU group, in CPU seconds', () => {
    const byGroup = cpuSecondsByGroup(cpu(2, 1.4, { 'sut-claims-shard-1': 0.5, 'sut-claims-shard-2': 0.25, redis: 0.5 }));
    expect(byGroup).toEqual({ 'decision-makers': 1.5, redis: 1 });
  });

  it('has a row per shard count with both speed-ups, and flags a run that was not one loaded partition each or was reassigned', () => {
    const bad = { ...run(4, 30_000, 2), oneLoadedPartitionEach: false };
    const moved = { ...run(2, 28_000, 2), shards: 3, assignmentHeld: false };
    const lines = shardLines({ runs: [run(1, 20_000, 1.25), run(2, 28_000, 2), moved, bad] }).join('\n');
    expect(lines).toMatch(/\| 1 \| 20,000 \| 20,000 \| 1\.25 \| 16,000 \| 1\.00× \| 1\.00× \|/);
    expect(lines).toMatch(/\| 2 \| 28,000 \| 28,000 \| 2\.00 \| 14,000 \| 1\.40× \| 1\.75× \|/);
    expect(lines).toMatch(/\| 4 \|.*\*\*\(not one loaded partition each\)\*\* \|$/m);
    expect(lines).toMatch(/\| 3 \|.*\*\*\(reassigned during the run\)\*\* \|$/m);
  });

  it('shows the wall-rate comparison as shown only, not as a missed target', () => {
    const scenarios = { decisionShards: { runs: [run(1, 20_000, 1.25), run(2, 28_000, 2)] } };
    const page = markdown({
      startedAt: 'a',
      finishedAt: 'b',
      machine: { cpus: 2, cpuModel: 'cpu', memoryGiB: 1, node: 'v20' },
      layout: 'split',
      topicPrefix: 'p',
      scenarios,
      invariants: { sales: [], naive: [], redisOnly: [], ok: true },
      targets: evaluateTargets(scenarios),
    });
    expect(page).toMatch(/wall rate \(shown, not judged: two cores\) \| 1\.40 \| ≥ 1\.6× \| shown only \(would not be met\) \|/);
    expect(page).toMatch(/per core .*\| 1\.75 \| ≥ 1\.6× \| yes \|/);
  });
});

describe('CPU per accepted claim', () => {
  const saturation = (acceptedPerSec: number, cores: Record<string, number>) =>
    ({ name: 'saturation', acceptedPerSec, load: { cpu: cpu(5, 1.8, cores) } }) as unknown as NonNullable<
      BenchResults['scenarios']['claimPath']
    >[number];

  it('charges every process of the system and the stack, not the load generator, the bench driver or neighbours', () => {
    const cost = claimPathCost({
      claimPath: [
        saturation(2_000, {
          'sut-api': 0.6,
          'sut-claims+projections': 0.3,
          kafka: 0.1,
          registry: 0.02,
          redis: 0.1,
          postgres: 0.2,
          'load generator': 0.2,
          'bench driver': 0.05,
          other: 0.3,
        }),
      ],
    });
    // 1.32 cores / 2,000 claims/s = 660 µs.
    expect(cost?.cpuMicrosPerAcceptedClaim).toBeCloseTo(660, 6);
    expect(Object.keys(cost?.byGroup ?? {}).sort()).toEqual([
      'kafka',
      'postgres',
      'redis',
      'registry',
      'sut-api',
      'sut-claims+projections',
    ]);
  });

  it('meets its target at 400 µs or less', () => {
    const target = (cores: number) =>
      evaluateTargets({ claimPath: [saturation(2_000, { 'sut-api': cores })] }).find((t) => t.what.startsWith('CPU per accepted claim'));
    expect(target(0.8)).toMatchObject({ figure: 400, target: '≤ 400 µs', met: true });
    expect(target(0.81)?.met).toBe(false);
  });
});
