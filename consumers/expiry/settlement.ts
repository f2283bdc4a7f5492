// Settlement: a partner's reported payment for a live reservation sells its slots for good
// (ReservationSettled, eventId `settle:<transactionId>`, on `sales`), in one Lua step that
// races the expiry's release on the same transaction: exactly one of them wins. A payment
// for a released, rejected or unknown transaction, a second payment, or a payment from a
// partner that is not the sale's own changes nothing here; reconciliation flags it
// (late_payment, unknown_transaction, duplicate_payment, wrong_partner).
// Published before the offset commit; a redelivered payment gets the same settlement again.
import { waitUnlessRecordsFault } from '../../platform/errors.js';
import type { Delivered, Subscription } from '../../platform/kafka/consumerRunner.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { Registry } from 'prom-client';
import type { EventOf } from '../../schemas/events/index.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { createInventoryMetrics } from '../../writeModel/metrics.js';
import { createSaleStore } from '../../writeModel/saleStore.js';
import { createWriterEpoch } from '../../writeModel/writerEpoch.js';

type Settlement = EventOf<'ReservationSettled'>;

/** One group over `partner-events`: each reported payment may settle a live reservation. */
export const settlementSubscription: Subscription = { group: 'expiry.settlement', topics: ['partner-events'] };

export function createSettlementHandler({
  redis,
  publisher,
  log: parentLog,
  topicPrefix,
  metrics: registry,
}: {
  redis: Redis;
  publisher: EventPublisher;
  log: Logger;
  topicPrefix: string;
  metrics?: Registry;
}) {
  const metrics = createInventoryMetrics(registry);
  const log = parentLog.child({ consumer: 'settlement' });
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  // Remembers the settlements written to Redis that a rebuild may lack (see writerEpoch.ts).
  const writer = createWriterEpoch<Settlement>({ scripts, waitUntilReady: store.waitUntilReady });

  return {
    handle: (batch: Delivered[]) => settle(batch).catch((err: unknown) => waitUnlessRecordsFault(err, 'settling payments')),
    close: () => store.close(),
  };

  async function settle(batch: Delivered[]): Promise<void> {
    const payments = batch.flatMap((d) =>
      d.event.type === 'PartnerPaymentReported'
        ? [{ transactionId: d.event.transactionId, paymentEventId: d.event.eventId, partnerId: d.event.partnerId }]
        : [],
    );
    if (payments.length === 0) return;
    const outcomes = await writer.run((epoch) => scripts.settle(epoch, Date.now(), payments));
    const settled = new Map<string, Settlement>();
    for (const o of outcomes) {
      if ('event' in o) {
        settled.set(o.event.eventId, o.event);
      } else {
        log.info({ transactionId: o.transactionId, outcome: o.outcome }, 'payment settles nothing here; reconciliation decides');
      }
    }
    const events = [...settled.values()];
    writer.written(events);
    await publisher.publish(events);
    writer.published(events);
    metrics.ended('settled', events.length);
    for (const e of events) log.info({ transactionId: e.transactionId, saleId: e.saleId }, 'reservation settled');
  }
}
