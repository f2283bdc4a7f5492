// `npm run faults -- --append` keeps a campaign's earlier runs: a seed run again (after a fix,
// say) replaces its earlier run on the same number of brokers, and no other.
import { describe, expect, it } from 'vitest';
import { mergeRuns, toResults } from '../../../faults/results.js';
import type { RunResult } from '../../../faults/run.js';

const run = (seed: number, brokers: number, violations = 0): RunResult => ({
  seed,
  brokers,
  nemeses: [],
  claims: 10,
  grants: 5,
  stock: 5,
  webhooks: 5,
  violations: Array.from({ length: violations }, () => ({ check: 'stock', says: 'oversold' })),
  crashes: 0,
  unanswered: 0,
  durationMs: 1,
  phasesMs: { start: 0, sale: 0, check: 0 },
});

describe('results kept across invocations', () => {
  it('replaces a seed run again on the same brokers, keeps the rest in order', () => {
    const merged = mergeRuns([run(1, 3, 2), run(2, 3), run(1, 1)], [run(1, 3), run(3, 3)]);
    expect(merged.map((r) => `${r.seed}/${r.brokers}/${r.violations.length}`)).toEqual(['2/3/0', '1/1/0', '1/3/0', '3/3/0']);
    expect(toResults(merged).violations).toBe(0);
  });
});
