// Settlement: a partner's reported payment for a live reservation sells its slots for good
// (ReservationSettled, eventId `settle:<transactionId>`, on `sales`), in one Lua step that
// races the expiry's release on the same transaction: exactly one of them wins. A payment
// for a released, rejected or unknown transaction, or a second payment, changes nothing here;
// reconciliation flags it (late_payment, unknown_transaction, duplicate_payment).
// Published before the offset commit; a redelivered payment gets the same settlement again.
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { Registry } from 'prom-client';
import type { EventOf } from '../../schemas/events/index.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { createInventoryMetrics } from '../../writeModel/metrics.js';
import { createSaleStore } from '../../writeModel/saleStore.js';
import { waitOutInfrastructure } from '../../writeModel/transient.js';
import { createWriterEpoch } from '../../writeModel/writerEpoch.js';

type Settlement = EventOf<'ReservationSettled'>;

export function settlementGroupId(topicPrefix: string): string {
  return `${topicPrefix ? `${topicPrefix}.` : ''}flashsale.expiry.settlement`;
}

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
  const writer = createWriterEpoch({ scripts, waitUntilReady: store.waitUntilReady });
  let published: readonly Settlement[] = [];
  const unconfirmed = new Map<string, Settlement>();

  return {
    handle: (batch: Delivered[]) => settle(batch).catch((err: unknown) => waitOutInfrastructure(err, 'settling payments')),
    close: () => store.close(),
  };

  async function settle(batch: Delivered[]): Promise<void> {
    const payments = batch.flatMap((d) =>
      d.event.type === 'PartnerPaymentReported' ? [{ transactionId: d.event.transactionId, paymentEventId: d.event.eventId }] : [],
    );
    if (payments.length === 0) return;
    const outcomes = await writer.run((epoch) => scripts.settle(epoch, Date.now(), payments));
    const settled = new Map<string, Settlement>();
    for (const o of outcomes) {
      if ('event' in o) {
        settled.set(o.event.eventId, o.event);
        unconfirmed.set(o.event.eventId, o.event);
      } else {
        log.info({ transactionId: o.transactionId, outcome: o.outcome }, 'payment settles nothing here; reconciliation decides');
      }
    }
    writer.remember([...published, ...unconfirmed.values()]);
    const events = [...settled.values()];
    await publisher.publish(events);
    published = events.length > 0 ? events : published;
    unconfirmed.clear();
    writer.remember(published);
    metrics.ended('settled', events.length);
    for (const e of events) log.info({ transactionId: e.transactionId, saleId: e.saleId }, 'reservation settled');
  }
}
