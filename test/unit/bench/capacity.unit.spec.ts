// The capacity model: from a run's per-core figures, what a 100k and a 500k claims/s sale
// need, and what caps one sale today (a single Redis master for all its shards, the claims
// partitions); and its inputs taken from the run's own measurements.
import { describe, expect, it } from 'vitest';
import {
  capacityLines,
  capacityModel,
  ceilingsToday,
  type MeasuredCosts,
  measuredCosts,
  PLANNED_BUSY,
  saleNeeds,
} from '../../../bench/capacity.js';
import type { CpuUse } from '../../../bench/cpu.js';
import { type BenchResults, capacityOf } from '../../../bench/report.js';

const costs: MeasuredCosts = {
  decisionsPerSecPerShard: 20_000,
  decisionMakerMicrosPerDecision: 40,
  redisMicrosPerDecision: 30,
  redisCommandMicrosPerDecision: 45,
  apiClaimsPerSecPerCore: 3_500,
  redisMicrosPerClaim: 70,
  kafkaMicrosPerClaim: 80,
  postgresMicrosPerClaim: 90,
  cpuMicrosPerAcceptedClaim: 600,
};
const today = { claimsPartitions: 6 };

describe('what one sale needs', () => {
  it('counts shards, API workers and Redis masters at the planned share of each', () => {
    expect(PLANNED_BUSY).toBe(0.7);
    const needs = saleNeeds(100_000, costs, today);
    // 100k / (20k × 0.7) = 7.1 → 8 shards; 100k / (3.5k × 0.7) = 40.8 → 41 workers; 100k × 70 µs / 0.7 = 10 cores → 10 masters.
    expect(needs).toMatchObject({ claimsPerSec: 100_000, shards: 8, apiWorkers: 41, redisMasters: 10, fitsToday: false });
    expect(needs.kafkaCores).toBeCloseTo((100_000 * 80e-6) / 0.7, 9);
    expect(needs.postgresCores).toBeCloseTo((100_000 * 90e-6) / 0.7, 9);
    expect(needs.totalCores).toBeCloseTo((100_000 * 600e-6) / 0.7, 9);
  });

  it('fits today only within the claims partitions and one Redis master', () => {
    expect(saleNeeds(9_000, costs, today).fitsToday).toBe(true);
    // 70 µs a claim: one master at 70% busy takes 10,000/s.
    expect(saleNeeds(10_001, costs, today)).toMatchObject({ redisMasters: 2, fitsToday: false });
  });

  it('scales every count with the sale', () => {
    const [small, big] = capacityModel(costs, today).sales;
    expect(small?.claimsPerSec).toBe(100_000);
    expect(big).toMatchObject({ claimsPerSec: 500_000, shards: 36, apiWorkers: 205, redisMasters: 50 });
  });
});

describe('what caps one sale today', () => {
  it('puts the single Redis master first when its claims per second are the lowest', () => {
    const ceilings = ceilingsToday(costs, today);
    expect(ceilings.map((c) => c.what)).toEqual([
      "one Redis master (all of a sale's shards live on it; no Redis Cluster)",
      '6 claims partitions, one shard each',
    ]);
    expect(ceilings[0]?.claimsPerSec).toBeCloseTo(1e6 / 70, 9);
    expect(ceilings[1]?.claimsPerSec).toBe(120_000);
  });

  it('puts the partitions first once Redis does less per claim', () => {
    expect(ceilingsToday({ ...costs, redisMicrosPerClaim: 5 }, today)[0]?.what).toBe('6 claims partitions, one shard each');
  });
});

const cpu = (seconds: number, cores: Record<string, number>): CpuUse => ({ seconds, machine: 1.8, cores });

describe("the model's inputs from a run", () => {
  const decisionStage = {
    decisions: 60_000,
    decisionsPerSec: 20_000,
    cpu: cpu(3, { 'sut-claims-shard-1': 0.8, redis: 0.4, kafka: 0.1, 'bench driver': 0.1 }),
    redis: { busy: 0.6, top: [] },
  };
  const saturation = {
    acceptedPerSec: 2_000,
    load: {
      cpu: cpu(10, { 'sut-api': 0.6, 'sut-claims+projections': 0.3, kafka: 0.2, redis: 0.1, postgres: 0.16, 'load generator': 0.2 }),
      redis: { busy: 0.14, top: [] },
    },
  };

  it('takes per-decision costs from the decision stage and per-claim costs from the claim path', () => {
    const measured = measuredCosts(decisionStage, saturation, 640);
    expect(measured?.decisionsPerSecPerShard).toBe(20_000);
    // 0.8 cores × 3 s / 60,000 = 40 µs; Redis: 0.4 cores of CPU → 20 µs (its commands' clock, 0.6 busy → 30 µs, only shown).
    expect(measured?.decisionMakerMicrosPerDecision).toBeCloseTo(40, 9);
    expect(measured?.redisMicrosPerDecision).toBeCloseTo(20, 9);
    expect(measured?.redisCommandMicrosPerDecision).toBeCloseTo(30, 9);
    expect(measured?.apiClaimsPerSecPerCore).toBeCloseTo(2_000 / 0.6, 9);
    // 0.1 cores of Redis CPU / 2,000 claims/s = 50 µs (not the 0.14 its commands' clock says).
    expect(measured?.redisMicrosPerClaim).toBeCloseTo(50, 9);
    expect(measured?.kafkaMicrosPerClaim).toBeCloseTo(100, 9);
    expect(measured?.postgresMicrosPerClaim).toBeCloseTo(80, 9);
    expect(measured?.cpuMicrosPerAcceptedClaim).toBe(640);
  });

  it('has no model without both halves measured', () => {
    expect(measuredCosts(undefined, saturation, 640)).toBeUndefined();
    expect(measuredCosts(decisionStage, undefined, 640)).toBeUndefined();
  });

  it('is built from the one-shard run and the saturation run of the results, and printed as a table', () => {
    const scenarios = {
      decisionShards: { runs: [{ ...decisionStage, shards: 1 }] },
      claimPath: [{ name: 'saturation', ...saturation }],
    } as unknown as BenchResults['scenarios'];
    const model = capacityOf(scenarios);
    expect(model?.today).toEqual({ claimsPartitions: 6 });
    expect(model?.costs.decisionsPerSecPerShard).toBe(20_000);
    const page = capacityLines(model).join('\n');
    expect(page).toMatch(/\| 100,000 \| 8 \| \d+ \| \d+ \| [\d.]+ \| [\d.]+ \| \d+ \| no \|/);
    expect(page).toMatch(/What caps one sale today, lowest first: one Redis master/);
  });
});
