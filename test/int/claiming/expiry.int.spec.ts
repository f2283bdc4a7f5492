// Expiry and settlement on the real stack: an unpaid reservation is released when its time
// is up (an event, and its slot goes back into the queue), a paid one is settled and never
// released, a payment after the release settles nothing, and a release that reached Redis but
// not Kafka before a crash is published from the outbox.
import { describe, expect, it } from 'vitest';
import { createExpiryWorker } from '../../../consumers/expiry/expiryWorker.js';
import { settlementSubscription } from '../../../consumers/expiry/settlement.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { createInventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { topicName } from '../../../schemas/topics.js';
import { salesEvents } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { paymentOf, useClaimingSystem } from '../../support/claimingSystem.js';
import { waitFor } from '../../support/waitFor.js';

const claiming = useClaimingSystem('expiry', ['projections', 'claims', 'expiry']);

async function schedule(saleId: string, stock: number): Promise<EventOf<'SaleScheduled'>> {
  const now = Date.now();
  const sale = saleScheduled({
    saleId,
    occurredAt: now,
    startsAt: now - 1_000,
    endsAt: now + 3_600_000,
    stock,
    perUserLimit: 1,
    reservationSeconds: 3,
  });
  await claiming.system.platform.publisher.publish([sale]);
  await waitFor(() => claiming.store.readSale(saleId, Date.now()), { what: `sale ${saleId} pre-warmed` });
  return sale;
}

async function pay(transactionId: string, partnerEventId: string): Promise<EventOf<'PartnerPaymentReported'>> {
  const payment = paymentOf(transactionId, partnerEventId);
  await claiming.system.platform.publisher.publish([payment]);
  return payment;
}

/** Waits until the settlement consumer has handled (and committed) everything on partner-events. */
async function settlementCaughtUp(): Promise<void> {
  const admin = claiming.system.platform.kafka.admin();
  await admin.connect();
  try {
    const topic = topicName(claiming.system.prefix, 'partner-events');
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    await waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({
          groupId: consumerGroupId(claiming.system.prefix, settlementSubscription.group),
          topics: [topic],
        });
        return committed!.partitions.every((p) => (ends.get(p.partition) ?? 0) === 0 || Number(p.offset) >= ends.get(p.partition)!);
      },
      { what: 'the settlement consumer caught up' },
    );
  } finally {
    await admin.disconnect();
  }
}

describe('reservations ending', () => {
  it('releases the unpaid one when its time is up and settles the paid one; the late payment settles nothing', async () => {
    await schedule('exp-1', 2);
    const unpaid = await claiming.claim('exp-1', 'u-1');
    const paid = await claiming.claim('exp-1', 'u-2');
    expect(unpaid.decision).toMatchObject({ status: 'granted', slotIds: ['exp-1:1'] });
    expect(paid.decision).toMatchObject({ status: 'granted', slotIds: ['exp-1:2'] });
    expect(await claiming.store.readSale('exp-1', Date.now())).toMatchObject({ status: 'sold_out' });

    const payment = await pay(paid.transactionId, 'evt-paid');
    await waitFor(async () => (await claiming.store.readTransaction(paid.transactionId))?.status === 'paid', {
      what: 'the paid reservation settled',
    });
    await waitFor(async () => (await claiming.store.readTransaction(unpaid.transactionId))?.status === 'expired', {
      what: 'the unpaid one released',
    });
    // Its slot is back once the release is on Kafka (the outbox drained), a moment after it reads expired.
    const outbox = inventoryKeys(claiming.system.prefix).outbox;
    await waitFor(async () => (await claiming.system.platform.redis.zscore(outbox, unpaid.transactionId)) === null, {
      what: 'the release on Kafka',
    });
    expect(await claiming.store.readSale('exp-1', Date.now())).toMatchObject({ status: 'open', stockRemaining: 1 });

    const late = await pay(unpaid.transactionId, 'evt-late');
    const second = await pay(paid.transactionId, 'evt-second');
    await settlementCaughtUp();
    expect(await claiming.store.readTransaction(unpaid.transactionId)).toMatchObject({ status: 'expired' });
    expect(await claiming.store.readTransaction(paid.transactionId)).toMatchObject({ status: 'paid' });

    // The slot that went back is handed out again; the paid one stays sold.
    const again = await claiming.claim('exp-1', 'u-1');
    expect(again.decision).toMatchObject({ status: 'granted', slotIds: ['exp-1:1'] });

    const endings = (await salesEvents(claiming.system)).filter((e) => e.type === 'ReservationReleased' || e.type === 'ReservationSettled');
    expect(endings.filter((e) => e.transactionId === unpaid.transactionId)).toMatchObject([
      { type: 'ReservationReleased', eventId: `release:${unpaid.transactionId}`, slotIds: ['exp-1:1'], reason: 'expired' },
    ]);
    expect(endings.filter((e) => e.transactionId === paid.transactionId)).toEqual([
      expect.objectContaining({ type: 'ReservationSettled', eventId: `settle:${paid.transactionId}`, paymentEventId: payment.eventId }),
    ]);
    expect(endings.some((e) => e.causationId === late.eventId || e.causationId === second.eventId)).toBe(false);
  });

  it('publishes from the outbox a release that reached Redis but not Kafka before a crash', async () => {
    await schedule('exp-2', 1);
    const { transactionId, decision } = await claiming.claim('exp-2', 'u-9');
    expect(decision).toMatchObject({ status: 'granted' });
    const expiresAt = (decision as { expiresAt: number }).expiresAt;
    // The Redis half of an expiry, as a crashed worker left it: released, in the outbox, never published.
    const scripts = createInventoryScripts(claiming.system.platform.redis, claiming.system.prefix);
    const keys = inventoryKeys(claiming.system.prefix);
    const epoch = (await claiming.system.platform.redis.get(keys.ready))!;
    const crashed = await scripts.releaseDue(epoch, expiresAt + 60_000, 1_000);
    expect(crashed.kind === 'ok' && crashed.value.map((r) => r.transactionId)).toContain(transactionId);
    expect(await claiming.system.platform.redis.zscore(keys.outbox, transactionId)).not.toBeNull();

    // The running expiry worker (or a restarted one) owes it to Kafka, with the same eventId.
    const worker = createExpiryWorker({
      redis: claiming.system.platform.redis,
      publisher: claiming.system.platform.publisher,
      log: claiming.system.platform.log,
      topicPrefix: claiming.system.prefix,
      // This test is about the outbox: every payment counts as settled.
      frontier: { settledThrough: () => Promise.resolve(Date.now()) },
    });
    worker.start();
    try {
      await waitFor(async () => (await claiming.system.platform.redis.zscore(keys.outbox, transactionId)) === null, {
        what: 'the outbox drained',
      });
    } finally {
      await worker.stop();
    }
    const releases = (await salesEvents(claiming.system)).filter(
      (e) => e.type === 'ReservationReleased' && e.transactionId === transactionId,
    );
    expect(releases.length).toBeGreaterThanOrEqual(1);
    expect(new Set(releases.map((r) => r.eventId))).toEqual(new Set([`release:${transactionId}`]));
    expect(await claiming.store.readSale('exp-2', Date.now())).toMatchObject({ status: 'open', stockRemaining: 1 });
  });
});
