// The decision-maker killed (SIGKILL, a real process) in the middle of a storm and started
// again: still exactly the stock granted, and every claim decided exactly once. A batch
// decided and published but not yet committed when the process died is decided again from
// Redis, which answers with the stored decisions: the same events, same eventIds, published
// a second time. Those copies are allowed (consumers dedupe on eventId) and counted here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyPrefix } from '../../../platform/redis.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { checkStorm, publishConcurrently, salesEvents, sampleClaims } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
let store: SaleStore;
const workers: Child[] = [];

beforeAll(async () => {
  system = await startTestSystem('kill', ['projections']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  for (const w of workers) await w.stop();
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

// A short session, so the group gives the dead worker's partitions away in seconds, not the
// default 30 s (on a loaded CI machine that wait plus the restart ran past the answers' timeout).
function claimsWorker(): Child {
  const child = runChild('test/support/claimsWorker.ts', { TOPIC_PREFIX: system.prefix, KAFKA_SESSION_TIMEOUT_MS: '10000' });
  workers.push(child);
  return child;
}

describe('the decision-maker killed mid-storm', () => {
  it('still grants exactly the stock, and decides every claim exactly once', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: 'kill-1',
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: 300,
      reservationSeconds: 600,
    });
    await system.platform.publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the sale pre-warmed' });

    const first = claimsWorker();
    await first.line((l) => l.ready === true, 90_000);
    const claims = sampleClaims({ saleId: sale.saleId, users: 1_500, seed: 42 });
    const txs = [...new Set(claims.map((c) => c.transactionId))];
    let answered = 0;
    const answers = Promise.all(txs.map((tx) => store.awaitDecision(tx, 200_000).then((d) => (answered++, d))));
    const storm = publishConcurrently(system.platform.publisher, claims, 4, 10);

    await waitFor(() => answered >= txs.length / 4, { timeoutMs: 60_000, intervalMs: 5, what: 'a quarter of the claims decided' });
    first.process.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const atKill = answered;
    expect(atKill).toBeLessThan(txs.length);

    const second = claimsWorker();
    await second.line((l) => l.ready === true, 90_000);
    await storm;
    expect((await answers).every((a) => a !== undefined)).toBe(true);

    const outcome = await checkStorm({ system, redis: system.platform.redis, sale, claims, events: await salesEvents(system) });
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ status: 'sold_out', stockRemaining: 0 });
    console.info(
      `kill: ${txs.length} transactions, killed after ${atKill} were answered; ${outcome.granted} grants for ${sale.stock} units; ` +
        `${outcome.copies} decision events published twice (same eventId) by the restarted worker`,
    );
  }, 240_000);
});
