// Issue 14, fault 1: Redis comes back from its last snapshot. A sale of 120 units: 60 claims
// decided, SAVE, 90 more decided (120 granted, sold out), Redis SIGKILLed and started again
// from the snapshot, then 200 new shoppers. The promise: still exactly 120 grants, no slot
// granted twice, every claim decided exactly once. The store the restart brings back reflects
// the events up to the snapshot only; the consumers have committed past the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf, type Claim } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import {
  claimsNotDecidedOnce,
  deadLetterCount,
  grantsBeyondStock,
  readSalesTopic,
  saleLedger,
  slotsGrantedTwice,
} from '../../support/faults/checkers.js';
import { type OwnRedis, startOwnRedis } from '../../support/faults/ownRedis.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

const STOCK = 120;

let redis: OwnRedis;
let system: TestSystem;
let store: SaleStore;

beforeAll(async () => {
  redis = await startOwnRedis({ persistence: 'rdb' });
  system = await startTestSystem('redissnap', ['projections', 'claims'], { REDIS_URL: redis.url });
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await store?.close();
  await system?.stop();
  await redis?.stop();
});

/** Publishes one claim per new shopper and waits until the store has decided each. */
async function claimAndAwait(saleId: string, from: number, count: number): Promise<Claim[]> {
  const claims = Array.from({ length: count }, (_, i) => claimOf(saleId, `shopper-${from + i}`));
  await system.platform.publisher.publish(claims);
  const decided = await Promise.all(claims.map((c) => store.awaitDecision(c.transactionId, 60_000)));
  expect(decided.filter((d) => d === undefined)).toHaveLength(0);
  return claims;
}

describe('Redis restarted from its last snapshot mid-sale', () => {
  it('still grants exactly the stock, no slot twice, every claim decided once', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: 'snap-1',
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: STOCK,
      perUserLimit: 2,
      reservationSeconds: 600,
    });
    await system.platform.publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the sale in the store' });

    const before = await claimAndAwait(sale.saleId, 0, 60);
    await redis.save();
    const after = await claimAndAwait(sale.saleId, 60, 90);
    expect(await store.readSale(sale.saleId, Date.now())).toMatchObject({ status: 'sold_out', stockRemaining: 0 });

    await redis.kill();
    await redis.restart();
    const restored = await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the store answering again' });

    const late = await claimAndAwait(sale.saleId, 150, 200);
    const claimed = [...before, ...after, ...late].map((c) => c.transactionId);
    // Every decision of the late shoppers on the topic too, before it is read for the verdict.
    const ledger = await waitFor(
      async () => {
        const l = saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), sale.saleId);
        return late.every((c) => l.decisions.has(c.transactionId)) ? l : undefined;
      },
      { what: 'the late decisions on the sales topic' },
    );
    const violations = {
      beyondStock: grantsBeyondStock(ledger, STOCK),
      slotsTwice: slotsGrantedTwice(ledger),
      notDecidedOnce: claimsNotDecidedOnce(ledger, claimed),
    };
    const deadLetters = await deadLetterCount(system.platform.kafka, system.prefix);
    console.info(
      `redis snapshot: store after restart shows ${restored.stockRemaining} of ${STOCK} free (status ${restored.status}); ` +
        `${ledger.grants.length} grants (${ledger.unitsGranted} units) for ${STOCK} units; ` +
        `${ledger.slotsGrantedTwice.length} slot ids granted twice (e.g. ${ledger.slotsGrantedTwice.slice(0, 3).join(', ')}); ` +
        `${violations.notDecidedOnce.length} claims not decided exactly once; ${deadLetters} dead letters`,
    );
    // One assertion over every number, so a failure shows them all.
    expect({
      unitsGranted: ledger.unitsGranted,
      beyondStock: violations.beyondStock,
      slotsGrantedTwice: violations.slotsTwice.length,
      claimsNotDecidedOnce: violations.notDecidedOnce.slice(0, 5),
      deadLetters,
    }).toEqual({ unitsGranted: STOCK, beyondStock: [], slotsGrantedTwice: 0, claimsNotDecidedOnce: [], deadLetters: 0 });
  });
});
