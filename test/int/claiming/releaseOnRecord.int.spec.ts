// A released slot goes back to the queue only once its release is on the log (Kafka has
// acknowledged ReservationReleased). Freed earlier, it could be granted again and that grant
// published before the release: the log would show the slot granted while its holder held
// it, and an auditor reading the log could not tell it from an oversell (the sharded nemesis
// campaign saw it, seed 313). Here the expiry worker's publish is held back on purpose, a claim
// made meanwhile finds the sale sold out, and once the release is on Kafka the next claim
// gets the slot, its grant after the release on the sales topic.
import { describe, expect, it } from 'vitest';
import { createExpiryWorker } from '../../../consumers/expiry/expiryWorker.js';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { salesEvents } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { useClaimingSystem } from '../../support/claimingSystem.js';
import { waitFor } from '../../support/waitFor.js';

// No expiry role: the test runs its own worker, with a publisher it can hold back.
const claiming = useClaimingSystem('onrecord', ['projections', 'claims']);

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
    await claiming.system.platform.publisher.publish([sale]);
    await waitFor(() => claiming.store.readSale(sale.saleId, Date.now()), { what: 'the sale pre-warmed' });
    const first = await claiming.claim(sale.saleId, 'first');
    expect(first.decision).toMatchObject({ status: 'granted', slotIds: ['onrecord-1:1'] });

    const held = heldPublisher(claiming.system.platform.publisher);
    const worker = createExpiryWorker({
      redis: claiming.system.platform.redis,
      publisher: held.publisher,
      log: claiming.system.platform.log,
      topicPrefix: claiming.system.prefix,
      frontier: { settledThrough: () => Promise.resolve(Date.now()) },
    });
    worker.start();
    try {
      // Released in Redis (the transaction reads expired), its event held back from Kafka.
      await waitFor(async () => (await claiming.store.readTransaction(first.transactionId))?.status === 'expired', {
        what: 'the release in Redis',
      });
      await waitFor(() => held.held() > 0, { what: 'the release on its way to Kafka, held back' });
      const meanwhile = await claiming.claim(sale.saleId, 'meanwhile');
      expect(meanwhile.decision).toMatchObject({ status: 'rejected', reason: 'sold_out' });

      held.open();
      const keys = inventoryKeys(claiming.system.prefix);
      await waitFor(async () => (await claiming.system.platform.redis.zscore(keys.outbox, first.transactionId)) === null, {
        what: 'the release acknowledged',
      });
      const next = await claiming.claim(sale.saleId, 'next');
      expect(next.decision).toMatchObject({ status: 'granted', slotIds: ['onrecord-1:1'] });

      const log = (await salesEvents(claiming.system))
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
