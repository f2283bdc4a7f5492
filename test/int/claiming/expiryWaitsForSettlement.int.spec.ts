// A payment acknowledged in time is never released by the clock. The nemesis suite (3 brokers,
// seed 101) found seven reservations released after their payments had been acknowledged: a
// broker kill held the settlement group back past their expiry, the expiry released on the
// clock, and reconciliation flagged paid-in-time payments late. Here the settlement group is
// held back on purpose (not started) while a paid and an unpaid reservation pass their expiry:
// nothing is released while a payment on partner-events is unsettled; once settlement runs, the
// paid one is settled and only the unpaid one released.
import { describe, expect, it } from 'vitest';
import { createExpiryWorker } from '../../../consumers/expiry/expiryWorker.js';
import { createSettledFrontier } from '../../../consumers/expiry/settledFrontier.js';
import { createSettlementHandler, settlementSubscription } from '../../../consumers/expiry/settlement.js';
import { startConsumerRunner } from '../../../platform/kafka/consumerRunner.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { topicName } from '../../../schemas/topics.js';
import { salesEvents } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { paymentOf, useClaimingSystem } from '../../support/claimingSystem.js';
import { waitFor } from '../../support/waitFor.js';

// No expiry role: the test runs the expiry worker and, later, the settlement group itself.
const claiming = useClaimingSystem('expiry-waits', ['projections', 'claims']);

describe('the expiry and a payment not yet settled', () => {
  it('releases nothing due after a payment it has not settled, then only the unpaid reservation', async () => {
    const { platform, prefix } = claiming.system;
    const now = Date.now();
    const sale = saleScheduled({ saleId: 'wait-1', occurredAt: now, startsAt: now - 1_000, endsAt: now + 3_600_000, stock: 2 });
    await platform.publisher.publish([{ ...sale, perUserLimit: 1, reservationSeconds: 2 }]);
    await waitFor(() => claiming.store.readSale('wait-1', Date.now()), { what: 'the sale pre-warmed' });
    const paid = await claiming.claim('wait-1', 'u-paid');
    const unpaid = await claiming.claim('wait-1', 'u-unpaid');
    expect(paid.decision).toMatchObject({ status: 'granted' });
    expect(unpaid.decision).toMatchObject({ status: 'granted' });
    // Acknowledged: on partner-events, well before either reservation ends.
    await platform.publisher.publish([paymentOf(paid.transactionId)]);

    const frontier = createSettledFrontier({
      connectAdmin: async () => {
        const admin = platform.kafka.admin();
        await admin.connect();
        return admin;
      },
      groupId: consumerGroupId(prefix, settlementSubscription.group),
      topic: topicName(prefix, 'partner-events'),
    });
    const worker = createExpiryWorker({
      redis: platform.redis,
      publisher: platform.publisher,
      log: platform.log,
      topicPrefix: prefix,
      frontier,
    });
    worker.start();
    const settlement = createSettlementHandler({
      redis: platform.redis,
      publisher: platform.publisher,
      log: platform.log,
      topicPrefix: prefix,
    });
    let runner: Awaited<ReturnType<typeof startConsumerRunner>> | undefined;
    try {
      const expiresAt = Math.max(...[paid, unpaid].map((c) => (c.decision as { expiresAt: number }).expiresAt));
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 2_000));
      // Past both expiries, with a payment unsettled: both still held.
      expect(await claiming.store.readTransaction(paid.transactionId)).toMatchObject({ status: 'granted' });
      expect(await claiming.store.readTransaction(unpaid.transactionId)).toMatchObject({ status: 'granted' });

      runner = await startConsumerRunner({
        kafka: platform.kafka,
        codec: platform.codec,
        log: platform.log,
        topicPrefix: prefix,
        subscription: settlementSubscription,
        handle: (batch) => settlement.handle(batch),
      });
      await waitFor(async () => (await claiming.store.readTransaction(paid.transactionId))?.status === 'paid', {
        what: 'the payment settled',
      });
      await waitFor(async () => (await claiming.store.readTransaction(unpaid.transactionId))?.status === 'expired', {
        what: 'the unpaid reservation released',
      });
    } finally {
      await worker.stop();
      await runner?.stop();
      await settlement.close();
      await frontier.stop();
    }
    const endings = (await salesEvents(claiming.system)).filter((e) => e.type === 'ReservationReleased' || e.type === 'ReservationSettled');
    expect(endings.map((e) => [e.type, e.transactionId]).sort()).toEqual(
      [
        ['ReservationReleased', unpaid.transactionId],
        ['ReservationSettled', paid.transactionId],
      ].sort(),
    );
  });
});
