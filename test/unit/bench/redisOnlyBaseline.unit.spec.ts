// The Redis-only baseline's pure parts: its invariant check over a round's counts, the target
// the claim path is held to against it, and what a claim costs per design.
import { describe, expect, it } from 'vitest';
import { redisOnlyViolations } from '../../../bench/baselines/redisOnlyCheck.js';
import { claimCost, claimCostLines, claimCosts, servesClaimPath } from '../../../bench/claimCost.js';
import type { MeasuredLoad } from '../../../bench/context.js';
import type { CpuUse } from '../../../bench/cpu.js';
import { type BenchResults, evaluateTargets, markdown } from '../../../bench/report.js';
import type { BaselinesResult } from '../../../bench/scenarios/baselines.js';

const cpu = (cores: Record<string, number>): CpuUse => ({ seconds: 5, machine: 1.8, cores });

function load(rps: number, cores: Record<string, number>, statusCodes: Record<string, number> = {}): MeasuredLoad {
  return {
    requests: 1_000,
    rps,
    wholeRunRps: rps,
    sendRate: rps,
    durationSeconds: 5,
    latencyMs: { p50: 10, p90: 20, p99: 30, max: 40 },
    statusCodes,
    errors: 0,
    timeouts: 0,
    cores: 0.3,
    cpu: cpu(cores),
    redis: { busy: 0.1, top: [] },
    neighboursBefore: 0,
  };
}

function baselines(redisOnlyRps: number): BaselinesResult {
  return {
    ceiling: load(8_000, { 'baseline-ceiling': 0.8, 'load generator': 0.4 }),
    naive: {
      ...load(1_000, { 'baseline-naive': 0.5, postgres: 0.7 }),
      stock: 1_000_000,
      stockLeft: 990_000,
      orders: 10_000,
      violations: [],
    },
    redisOnly: {
      ...load(redisOnlyRps, { 'baseline-redis-only': 0.9, redis: 0.2, 'load generator': 0.4, other: 0.3 }, { 201: 500, 409: 500 }),
      stock: 500,
      stockLeft: 0,
      holders: 500,
      answeredGranted: 500,
      violations: [],
    },
  };
}

const saturation = (acceptedPerSec: number) =>
  ({
    name: 'saturation',
    acceptedPerSec,
    load: load(acceptedPerSec, {
      'sut-api': 0.7,
      'sut-claims': 0.4,
      kafka: 0.2,
      redis: 0.1,
      postgres: 0.2,
      'load generator': 0.2,
      other: 0.5,
    }),
    decisionLatencyMs: { p50: 100, p99: 200, max: 300, undecided: 0 },
  }) as unknown as NonNullable<BenchResults['scenarios']['claimPath']>[number];

describe('the Redis-only baseline invariant check', () => {
  it('passes a round whose units taken, users remembered and grants answered agree', () => {
    expect(redisOnlyViolations({ stock: 10, stockLeft: 0, holders: 10, answeredGranted: 10 })).toEqual([]);
    // An answer lost on the way (a timeout) is no violation: the grant still stands once.
    expect(redisOnlyViolations({ stock: 10, stockLeft: 4, holders: 6, answeredGranted: 5 })).toEqual([]);
  });

  it('catches a stock gone negative and more holders than the stock', () => {
    const violations = redisOnlyViolations({ stock: 10, stockLeft: -1, holders: 11, answeredGranted: 11 });
    expect(violations.join('\n')).toMatch(/stock went negative: -1/);
    expect(violations.join('\n')).toMatch(/11 users hold a unit, stock is 10/);
  });

  it('catches a user served twice: more units taken than users remembered', () => {
    expect(redisOnlyViolations({ stock: 10, stockLeft: 2, holders: 7, answeredGranted: 7 })).toEqual([
      'stock fell by 8 but 7 users hold a unit',
    ]);
  });

  it('catches a user told "granted" twice: more 201s than users remembered', () => {
    expect(redisOnlyViolations({ stock: 10, stockLeft: 3, holders: 7, answeredGranted: 9 })).toEqual([
      '9 claims answered granted, 7 users hold a unit',
    ]);
  });
});

describe('the claim path against the Redis-only baseline', () => {
  const target = (claimPathPerSec: number, redisOnlyPerSec: number) =>
    evaluateTargets({ claimPath: [saturation(claimPathPerSec)], baselines: baselines(redisOnlyPerSec) }).find((t) =>
      t.what.includes('Redis-only'),
    );

  it('meets its target at half the Redis-only rate or more', () => {
    expect(target(3_500, 7_000)).toMatchObject({ figure: 0.5, target: '≥ 0.50', met: true });
  });

  it('misses it below half', () => {
    expect(target(3_000, 7_000)).toMatchObject({ met: false });
    expect(target(3_000, 7_000)?.figure).toBeCloseTo(0.4286, 3);
  });

  it('sets no such target without the baseline measured', () => {
    expect(evaluateTargets({ claimPath: [saturation(3_000)] }).some((t) => t.what.includes('Redis-only'))).toBe(false);
  });
});

describe('what a claim costs in CPU', () => {
  it("charges a design only its serving processes' core time, per claim", () => {
    const cost = claimCost('x', cpu({ 'baseline-redis-only': 0.9, redis: 0.2, 'load generator': 0.4 }), 5_000, (g) =>
      ['baseline-redis-only', 'redis'].includes(g),
    );
    expect(cost.byGroup).toEqual({ 'baseline-redis-only': 180, redis: 40 });
    expect(cost.cpuMicros).toBeCloseTo(220, 6);
  });

  it('charges the claim path its every process and the whole stack, nothing else', () => {
    expect(['sut-api', 'sut-claims+projections', 'kafka', 'registry', 'redis', 'postgres'].every(servesClaimPath)).toBe(true);
    expect(['load generator', 'bench driver', 'other', 'baseline-ceiling'].some(servesClaimPath)).toBe(false);
  });

  it('lists the claim path and each baseline, and compares each to the Redis-only one', () => {
    const costs = claimCosts(saturation(2_000), baselines(5_000));
    expect(costs.map((c) => c.design)).toEqual([
      '1. claim path, saturation',
      '5c. Redis-only baseline',
      '5a. naive Postgres baseline',
      '5b. framework ceiling',
    ]);
    // (0.7 + 0.4 + 0.2 + 0.1 + 0.2) cores / 2,000 claims/s = 800 µs; Redis-only 1.1 / 5,000 = 220 µs.
    expect(costs[0]?.cpuMicros).toBeCloseTo(800, 6);
    expect(claimCostLines(costs).join('\n')).toMatch(/\| 1\. claim path, saturation \| 2,000 \| 800 \| 3\.64× \|/);
  });
});

describe('the results page', () => {
  it('has the Redis-only baseline as a row, a ratio column and an invariants row', () => {
    const page = markdown({
      startedAt: 'a',
      finishedAt: 'b',
      machine: { cpus: 2, cpuModel: 'cpu', memoryGiB: 1, node: 'v20' },
      layout: 'split',
      topicPrefix: 'p',
      scenarios: { claimPath: [saturation(3_500)], baselines: baselines(7_000) },
      invariants: { sales: [], naive: [], redisOnly: [], ok: true },
      targets: [],
    });
    expect(page).toMatch(/\| 5c\. baseline, Redis only .*\| 7,000 \| 7\.00× \| 0\.88× \| 1\.00× \|/);
    expect(page).toMatch(/\| 1\. claim path, saturation: claims accepted \(202\) per s \| 3,500 \| 3\.50× \| 0\.44× \| 0\.50× \|/);
    expect(page).toMatch(/\| Redis-only baseline \(median round\) \| 500 \| 500 \| 409 500 \| 500 \| none \|/);
  });
});
