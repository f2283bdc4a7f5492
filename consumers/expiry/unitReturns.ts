// A refund returns stock: when a refund resolution is closed by the partner's refund
// (MismatchResolved, action refund, on the reconciliation topic) and the payment refunded is
// the one holding the transaction's units, one Lua step records the return while the sale is
// open, UnitsReturned (eventId `returned:<transactionId>`) goes to the sales topic, and only
// then are the units back in the sale's queue (as a release's: expiryWorker.ts says why). A
// refund of another payment (a duplicate, a late one never accepted) or after the sale's end
// changes nothing. Published before the offset commit; a redelivered
// resolution gets the same return again.
import { waitUnlessRecordsFault } from '../../platform/errors.js';
import type { Delivered, Subscription } from '../../platform/kafka/consumerRunner.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Redis } from '../../platform/redis.js';
import type { EventOf } from '../../schemas/events/index.js';
import { createInventoryScripts } from '../../writeModel/inventoryScripts.js';
import { createSaleStore } from '../../writeModel/saleStore.js';
import { createWriterEpoch } from '../../writeModel/writerEpoch.js';

type Returned = EventOf<'UnitsReturned'>;

export const unitReturnsSubscription: Subscription = { group: 'expiry.returns', topics: ['reconciliation'] };

export function createUnitReturnsHandler({
  redis,
  publisher,
  log: parentLog,
  topicPrefix,
  now = Date.now,
}: {
  redis: Redis;
  publisher: Pick<EventPublisher, 'publish'>;
  log: Logger;
  topicPrefix: string;
  now?: () => number;
}) {
  const log = parentLog.child({ consumer: 'unitReturns' });
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  const writer = createWriterEpoch<Returned>({ scripts, waitUntilReady: store.waitUntilReady });

  async function handle(batch: Delivered[]): Promise<void> {
    const returned: Returned[] = [];
    for (const { event: e } of batch) {
      if (e.type !== 'MismatchResolved' || e.action !== 'refund' || !e.paymentEventId || !e.refundEventId) continue;
      const r = { transactionId: e.transactionId, paymentEventId: e.paymentEventId, refundEventId: e.refundEventId };
      const result = await writer.run((epoch) => scripts.returnUnits(epoch, now(), r));
      if ('event' in result) {
        writer.written([result.event]);
        returned.push(result.event);
      } else log.info({ ...r, outcome: result.outcome }, 'refund returns no unit');
    }
    if (returned.length === 0) return;
    await publisher.publish(returned);
    await scripts.published(
      'returns',
      returned.map((e) => e.transactionId),
    );
    writer.published(returned);
    for (const e of returned)
      log.info({ transactionId: e.transactionId, saleId: e.saleId, slotIds: e.slotIds }, 'refunded units back in the queue');
  }

  return {
    handle: (batch: Delivered[]) => handle(batch).catch((err: unknown) => waitUnlessRecordsFault(err, 'returning refunded units')),
    close: () => store.close(),
  };
}
