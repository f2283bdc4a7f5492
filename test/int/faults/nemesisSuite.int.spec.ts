// Issue 15, the short form of `npm run faults`: two fixed seeds of a short sale on one Kafka
// broker of the suite's own, each under its seeded nemeses, each checked against the promise;
// then one run of a build with a bug planted on purpose (the claim script's and the edge's
// stock checks removed), which the checker must report. The long runs are `npm run faults`.
// Seed 1's quick schedule restarts Redis from a snapshot taken while shoppers are still
// entering, then kills the projections; seed 11's kills the decision-maker twice, then
// restarts Redis from a snapshot (a broker's kill is brokerAway's, and the three-broker
// campaign's). Before the fix in writeModel/saleStore.ts (refuseUnlessReady), entries
// acknowledged after a snapshot were answered 404 on their claim until the store was rebuilt
// (found by seed 1). The full seed 2 then found an oversell when the second snapshot caught a
// rebuild under way: the rebuild went on against the restored data set; the race is
// timing-dependent here, so its regression is the deterministic
// redisSnapshotRebuild.int.spec.ts (and redisSnapshotLive.int.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Environment, startEnvironment } from '../../../faults/environment.js';
import { plantBug } from '../../../faults/plantBug.js';
import { describeRun } from '../../../faults/results.js';
import { QUICK_SETTINGS as SHORT, runOnce } from '../../../faults/run.js';

let env: Environment;

beforeAll(async () => {
  env = await startEnvironment({ brokers: 1 });
}, 240_000);
afterAll(async () => {
  await env?.stop();
});

describe('the nemesis suite, short form', () => {
  it.each([1, 11])('keeps every promise under the nemeses of seed %i', { timeout: 300_000 }, async (seed) => {
    const run = await runOnce({ seed, env, settings: SHORT });
    console.info(describeRun(run));
    expect(run.nemeses.length).toBeGreaterThan(0);
    expect(run.grants).toBeGreaterThan(0);
    expect(run.violations).toEqual([]);
  });

  it('reports the oversell of a build whose claim script skips the stock check', { timeout: 300_000 }, async () => {
    const bug = plantBug('no-stock-check');
    try {
      const run = await runOnce({ seed: 3, env, settings: { ...SHORT, shoppers: 40, stock: 5 }, from: bug.root });
      console.info(describeRun(run));
      expect(run.violations.map((v) => v.check)).toContain('stock');
    } finally {
      bug.remove();
    }
  });
});
