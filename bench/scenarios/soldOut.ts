// Scenario 3, the sold-out storm: a small sale is claimed out over HTTP, then a crowd of
// entered users keeps claiming. Each is refused at the edge (409 sold_out) without waiting on
// Kafka: the refusal becomes the transaction's decision in Redis and its ClaimRejected is
// published in the background, in batches. Every claim of the storm is a first claim (a
// fresh transaction: each round has its own), so each pays for its refusal's record.
import path from 'node:path';

import { type BenchContext, createSales, medianByRate, runLoad, type Sut, type MeasuredLoad } from '../context.js';
import { prepareClaims } from '../prepare.js';
import { waitForQuiet } from '../quiet.js';
import { SATURATION_CONNECTIONS } from './claimPath.js';

export type SoldOutResult = {
  saleId: string;
  stock: number;
  sellOut: MeasuredLoad;
  /** The median round. */
  storm: MeasuredLoad;
  refusedPerSec: number;
  /** Refusals per second in each round, in the order run. */
  rounds: number[];
};

export const SOLD_OUT_ROUNDS = 3;

/**
 * `between(round)` runs after each storm round: the bench measures the framework ceiling and
 * the Redis-only baseline there, so the figures of a ratio alternate and share the machine's ups and downs.
 */
export async function soldOutScenario(
  ctx: BenchContext,
  sut: Sut,
  expectGroups: number,
  between?: (round: number) => Promise<void>,
): Promise<SoldOutResult> {
  const saleId = `bench-${ctx.stamp}-soldout`;
  const stock = 500;
  const requests = Math.max(2_000, Math.round(20_000 * ctx.scale));
  const api = await createSales(ctx, sut.baseUrl, [{ saleId, stock, perUserLimit: 1 }]);
  const sellers = path.join(ctx.workDir, 'claims-sellout.json');
  const common = { publisher: ctx.platform.publisher, store: ctx.store, identity: ctx.config, saleId };
  await prepareClaims({ ...common, users: stock * 2, transactionsPerUser: 1, file: sellers });
  const crowds = Array.from({ length: SOLD_OUT_ROUNDS }, (_, i) => path.join(ctx.workDir, `claims-storm-${i + 1}.json`));
  const crowdUsers = 4_000;
  const prepared = [];
  for (const file of crowds) {
    prepared.push(await prepareClaims({ ...common, users: crowdUsers, transactionsPerUser: Math.ceil(requests / crowdUsers), file }));
  }
  const someone = prepared[0]?.[0];
  await waitForQuiet(ctx.admin, ctx.prefix, { timeoutMs: 120_000, expectGroups });

  const sellOut = await runLoad(ctx, {
    name: 'sellout',
    baseUrl: sut.baseUrl,
    path: `/sales/${saleId}/claims`,
    claimsFile: sellers,
    connections: 50,
    amount: stock * 2,
  });
  await waitForQuiet(ctx.admin, ctx.prefix, { timeoutMs: 120_000, expectGroups });
  const view = await api.sale(someone!.token, saleId);
  if (view.body.status !== 'sold_out') throw new Error(`sale ${saleId} should be sold out, reads ${JSON.stringify(view.body)}`);

  const storms: MeasuredLoad[] = [];
  for (let round = 1; round <= SOLD_OUT_ROUNDS; round++) {
    const storm = await runLoad(ctx, {
      name: `storm-${round}`,
      baseUrl: sut.baseUrl,
      path: `/sales/${saleId}/claims`,
      claimsFile: crowds[round - 1]!,
      connections: SATURATION_CONNECTIONS,
      amount: requests,
    });
    const refused = storm.statusCodes['409'] ?? 0;
    if (refused !== storm.requests) throw new Error(`sold-out storm: expected only 409s, got ${JSON.stringify(storm.statusCodes)}`);
    ctx.say(
      `sold-out storm, round ${round}: ${refused} refusals in ${storm.durationSeconds.toFixed(1)} s = ${storm.rps.toFixed(0)}/s; ` +
        `cores ${JSON.stringify(storm.cpu.cores)}; Redis busy ${storm.redis.busy}`,
    );
    storms.push(storm);
    await between?.(round);
  }
  const storm = medianByRate(storms);
  // Every answer was a 409 (checked above): the storm's answer rate is its refusal rate.
  return { saleId, stock, sellOut, storm, refusedPerSec: storm.rps, rounds: storms.map((s) => s.rps) };
}
