// A released slot goes back to the queue only once its release is on the log (Kafka has
// acknowledged ReservationReleased). Freed earlier, it could be granted again and that grant
// published before the release: the log would show the slot granted while its holder held
// it, and an auditor reading the log could not tell it from an oversell (the sharded nemesis
// campaign saw it, seed 313). Here the expiry worker's publish is held back on purpose, a claim
// made meanwhile finds the sale sold out, and once the release is on Kafka the next claim
// gets the slot, its grant after the release on the sales topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpiryWorker } from '../../../consumers/expiry/expiryWorker.js';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import { keyPrefix } from '../../../platform/redis.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf, salesEvents } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
let store: SaleStore;

beforeAll(async () => {
  // No expiry role: the test runs its own worker, with a publisher it can hold back.
  system = await startTestSystem('onrecord', ['projections', 'claims']);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
});
afterAll(async () => {
  await store?.close();
  await system?.stop();
  if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
});

async function claim(saleId: string, userId: string) {
  const event = claimOf(saleId, userId);
  await system.platform.publisher.publish([event]);
  return { transactionId: event.transactionId, decision: await store.awaitDecision(event.transactionId, 30_000) };
}

/** The real publisher, whose publishes wait until `open()`. */
function heldPublisher(real: EventPublisher): { publisher: EventPublisher; held: () => number; open: () => void } {
  let opened!: () => void;
  const gate = new Promise<void>((resolve) => (opened = resolve));
  let held = 0;
  const publisher: EventPublisher = Object.assign(Object.create(real) as EventPublisher, {
    publish: async (...args: Parameters<EventPublisher['publish']>) => {
      held++;
      await gate;
      return real.publish(...args);
    },
  });
  return { publisher, held: () => held, open: opened };
}

describe('a released slot', () => {
  it('is granted again only after its release is on Kafka', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: 'onrecord-1',
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: 1,
      perUserLimit: 1,
      reservationSeconds: 1,
    });
    await system.platform.publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { what: 'the sale pre-warmed' });
    const first = await claim(sale.saleId, 'first');
    expect(first.decision).toMatchObject({ status: 'granted', slotIds: ['onrecord-1:1'] });

    const held = heldPublisher(system.platform.publisher);
    const worker = createExpiryWorker({
      redis: system.platform.redis,
      publisher: held.publisher,
      log: system.platform.log,
      topicPrefix: system.prefix,
      frontier: { settledThrough: () => Promise.resolve(Date.now()) },
    });
    worker.start();
    try {
      // Released in Redis (the transaction reads expired), its event held back from Kafka.
      await waitFor(async () => (await store.readTransaction(first.transactionId))?.status === 'expired', { what: 'the release in Redis' });
      await waitFor(() => held.held() > 0, { what: 'the release on its way to Kafka, held back' });
      const meanwhile = await claim(sale.saleId, 'meanwhile');
      expect(meanwhile.decision).toMatchObject({ status: 'rejected', reason: 'sold_out' });

      held.open();
      const keys = inventoryKeys(system.prefix);
      await waitFor(async () => (await system.platform.redis.zscore(keys.outbox, first.transactionId)) === null, {
        what: 'the release acknowledged',
      });
      const next = await claim(sale.saleId, 'next');
      expect(next.decision).toMatchObject({ status: 'granted', slotIds: ['onrecord-1:1'] });

      const log = (await salesEvents(system))
        .filter((e) => e.saleId === sale.saleId)
        .map((e) => `${e.type}:${'transactionId' in e ? e.transactionId : ''}`);
      const released = log.indexOf(`ReservationReleased:${first.transactionId}`);
      expect(released).toBeGreaterThan(-1);
      expect(log.indexOf(`ClaimGranted:${next.transactionId}`)).toBeGreaterThan(released);
    } finally {
      held.open();
      await worker.stop();
    }
  });
});
