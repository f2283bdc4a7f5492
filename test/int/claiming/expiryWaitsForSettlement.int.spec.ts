// A payment acknowledged in time is never released by the clock. The nemesis suite (3 brokers,
// seed 101) found seven reservations released after their payments had been acknowledged: a
// broker kill held the settlement group back past their expiry, the expiry released on the
// clock, and reconciliation flagged paid-in-time payments late. Here the settlement group is
// held back on purpose (not started) while a paid and an unpaid reservation pass their expiry:
// nothing is released while a payment on partner-events is unsettled; once settlement runs, the
// paid one is settled and only the unpaid one released.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpiryWorker } from '../../../consumers/expiry/expiryWorker.js';
import { createSettledFrontier } from '../../../consumers/expiry/settledFrontier.js';
import { createSettlementHandler, settlementSubscription } from '../../../consumers/expiry/settlement.js';
import { startConsumerRunner } from '../../../platform/kafka/consumerRunner.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { keyPrefix } from '../../../platform/redis.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { topicName } from '../../../schemas/topics.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf, salesEvents } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
let store: SaleStore;

beforeAll(async () => {
  // No expiry role: the test runs the expiry worker and, later, the settlement group itself.
  system = await startTestSystem('expiry-waits', ['projections', 'claims']);
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

function payment(transactionId: string): EventOf<'PartnerPaymentReported'> {
  const partnerEventId = crypto.randomUUID();
  return {
    type: 'PartnerPaymentReported',
    eventId: `demo-pay:${partnerEventId}`,
    occurredAt: Date.now(),
    correlationId: transactionId,
    causationId: null,
    partnerId: 'demo-pay',
    partnerEventId,
    transactionId,
    quantity: 1,
    amountMinor: 1999,
    currency: 'EUR',
    reportedAt: Date.now(),
  };
}

describe('the expiry and a payment not yet settled', () => {
  it('releases nothing due after a payment it has not settled, then only the unpaid reservation', async () => {
    const { platform, prefix } = system;
    const now = Date.now();
    const sale = saleScheduled({ saleId: 'wait-1', occurredAt: now, startsAt: now - 1_000, endsAt: now + 3_600_000, stock: 2 });
    await platform.publisher.publish([{ ...sale, perUserLimit: 1, reservationSeconds: 2 }]);
    await waitFor(() => store.readSale('wait-1', Date.now()), { what: 'the sale pre-warmed' });
    const paid = await claim('wait-1', 'u-paid');
    const unpaid = await claim('wait-1', 'u-unpaid');
    expect(paid.decision).toMatchObject({ status: 'granted' });
    expect(unpaid.decision).toMatchObject({ status: 'granted' });
    // Acknowledged: on partner-events, well before either reservation ends.
    await platform.publisher.publish([payment(paid.transactionId)]);

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
      expect(await store.readTransaction(paid.transactionId)).toMatchObject({ status: 'granted' });
      expect(await store.readTransaction(unpaid.transactionId)).toMatchObject({ status: 'granted' });

      runner = await startConsumerRunner({
        kafka: platform.kafka,
        codec: platform.codec,
        log: platform.log,
        topicPrefix: prefix,
        subscription: settlementSubscription,
        handle: (batch) => settlement.handle(batch),
      });
      await waitFor(async () => (await store.readTransaction(paid.transactionId))?.status === 'paid', { what: 'the payment settled' });
      await waitFor(async () => (await store.readTransaction(unpaid.transactionId))?.status === 'expired', {
        what: 'the unpaid reservation released',
      });
    } finally {
      await worker.stop();
      await runner?.stop();
      await settlement.close();
      await frontier.stop();
    }
    const endings = (await salesEvents(system)).filter((e) => e.type === 'ReservationReleased' || e.type === 'ReservationSettled');
    expect(endings.map((e) => [e.type, e.transactionId]).sort()).toEqual(
      [
        ['ReservationReleased', unpaid.transactionId],
        ['ReservationSettled', paid.transactionId],
      ].sort(),
    );
  });
});
