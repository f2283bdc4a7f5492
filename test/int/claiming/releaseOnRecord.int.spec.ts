// A released slot goes back to the queue only once its release is on the log (Kafka has
// acknowledged ReservationReleased). Freed earlier, it could be granted again and that grant
// published before the release: the log would show the slot granted while its holder held
// it, and an auditor reading the log could not tell it from an oversell (the sharded nemesis
// campaign saw it, seed 313). Here the expiry worker's publish is held back on purpose, a claim
// made meanwhile finds the sale sold out, and once the release is on Kafka the next claim
// gets the slot, its grant after the release on the sales topic. Its holder's count against the
// per-user limit waits for the log the same way.
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

/** The real publisher, whose publishes of one sale's events wait until `open()` (another test's sale's go through). */
function heldPublisher(real: EventPublisher, saleId: string): { publisher: EventPublisher; held: () => number; open: () => void } {
  let opened!: () => void;
  const gate = new Promise<void>((resolve) => (opened = resolve));
  let held = 0;
  const publisher: EventPublisher = Object.assign(Object.create(real) as EventPublisher, {
    publish: async (...args: Parameters<EventPublisher['publish']>) => {
      if (args[0].some((e) => 'saleId' in e && e.saleId === saleId)) {
        held++;
        await gate;
      }
      return real.publish(...args);
    },
  });
  return { publisher, held: () => held, open: opened };
}

/**
 * A sale whose first claim (by `holder`) is granted and released by an expiry worker whose
 * publish of the release is held back: resolves once the release is in Redis and on its way.
 * `acknowledged()` lets it through and waits until Kafka has it.
 */
async function releaseHeldBack(saleId: string, stock: number, holder: string) {
  const now = Date.now();
  const sale = saleScheduled({ saleId, occurredAt: now, startsAt: now - 1_000, endsAt: now + 3_600_000, stock, perUserLimit: 1 });
  await claiming.system.platform.publisher.publish([{ ...sale, reservationSeconds: 1 }]);
  await waitFor(() => claiming.store.readSale(saleId, Date.now()), { what: 'the sale pre-warmed' });
  const first = await claiming.claim(saleId, holder);
  expect(first.decision).toMatchObject({ status: 'granted', slotIds: [`${saleId}:1`] });

  const held = heldPublisher(claiming.system.platform.publisher, saleId);
  const worker = createExpiryWorker({
    redis: claiming.system.platform.redis,
    publisher: held.publisher,
    log: claiming.system.platform.log,
    topicPrefix: claiming.system.prefix,
    frontier: { settledThrough: () => Promise.resolve(Date.now()) },
  });
  worker.start();
  const keys = inventoryKeys(claiming.system.prefix);
  const stop = async () => {
    held.open();
    await worker.stop();
  };
  try {
    // Released in Redis (the transaction reads expired), its event held back from Kafka.
    await waitFor(async () => (await claiming.store.readTransaction(first.transactionId))?.status === 'expired', {
      what: 'the release in Redis',
    });
    await waitFor(() => held.held() > 0, { what: 'the release on its way to Kafka, held back' });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    first,
    keys,
    stop,
    async acknowledged() {
      held.open();
      await waitFor(async () => (await claiming.system.platform.redis.zscore(keys.outbox, first.transactionId)) === null, {
        what: 'the release acknowledged',
      });
    },
  };
}

describe('a released slot', () => {
  it('is granted again only after its release is on Kafka', async () => {
    const release = await releaseHeldBack('onrecord-1', 1, 'first');
    try {
      const meanwhile = await claiming.claim('onrecord-1', 'meanwhile');
      expect(meanwhile.decision).toMatchObject({ status: 'rejected', reason: 'sold_out' });

      await release.acknowledged();
      const next = await claiming.claim('onrecord-1', 'next');
      expect(next.decision).toMatchObject({ status: 'granted', slotIds: ['onrecord-1:1'] });

      const log = (await salesEvents(claiming.system))
        .filter((e) => e.saleId === 'onrecord-1')
        .map((e) => `${e.type}:${'transactionId' in e ? e.transactionId : ''}`);
      const released = log.indexOf(`ReservationReleased:${release.first.transactionId}`);
      expect(released).toBeGreaterThan(-1);
      expect(log.indexOf(`ClaimGranted:${next.transactionId}`)).toBeGreaterThan(released);
    } finally {
      await release.stop();
    }
  });

  it("counts against its holder's limit until its release is on Kafka", async () => {
    const release = await releaseHeldBack('onrecord-2', 2, 'shopper');
    try {
      // Slot 2 is free, but the shopper's first unit is theirs on the log until its release is:
      // granted now, the log would show them holding two units under a limit of one.
      const again = await claiming.claim('onrecord-2', 'shopper');
      expect(again.decision).toMatchObject({ status: 'rejected', reason: 'duplicate' });

      await release.acknowledged();
      const next = await claiming.claim('onrecord-2', 'shopper');
      expect(next.decision).toMatchObject({ status: 'granted' });
      expect(await claiming.system.platform.redis.hget(release.keys.held('onrecord-2'), 'shopper')).toBe('1');
    } finally {
      await release.stop();
    }
  });
});
