// Issue 15, the short form of `npm run faults`: two fixed seeds of a short sale on one Kafka
// broker of the suite's own, each under its seeded nemeses (role kills and pauses, a Redis
// snapshot restore, a Postgres stop, proxy faults, a partner's wrong clock), each checked
// against the promise; then one run of a build with a bug planted on purpose (the claim
// script's stock check removed), which the checker must report. The long runs are
// `npm run faults`. Seed 2's short schedule restarts Redis from a snapshot taken while shoppers
// are still entering: before the fix in writeModel/saleStore.ts (refuseUnlessReady), entries
// acknowledged after the snapshot were answered 404 on their claim until the store was rebuilt
// (found by `npm run faults -- --seed 1`). The full seed 2 (`npm run faults -- --seed 2`) then
// found an oversell when the second snapshot caught a rebuild under way: the rebuild went on
// against the restored data set; the race is timing-dependent here, so its regression is the
// deterministic redisSnapshotRebuild.int.spec.ts (and redisSnapshotLive.int.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Environment, startEnvironment } from '../../../faults/environment.js';
import { plantBug } from '../../../faults/plantBug.js';
import { describeRun } from '../../../faults/results.js';
import { runOnce, type RunSettings } from '../../../faults/run.js';

const SHORT: RunSettings = { saleMs: 14_000, stock: 15, shoppers: 120, reservationSeconds: 8 };

let env: Environment;

beforeAll(async () => {
  env = await startEnvironment({ brokers: 1 });
}, 240_000);
afterAll(async () => {
  await env?.stop();
});

describe('the nemesis suite, short form', () => {
  it.each([1, 2])('keeps every promise under the nemeses of seed %i', { timeout: 300_000 }, async (seed) => {
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
