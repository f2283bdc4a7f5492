// Accepting a late payment gives its shopper a unit only if one is free: one Lua step takes
// free slots for the released transaction (or says none is free), then LatePaymentAccepted
// (eventId `accepted:<transactionId>`) goes to the sales topic, where the projector and any
// rebuild fold it. Asked again (an operator retrying after a failed publish), the step gives
// back the same acceptance, which is published again: nothing is taken twice.
import type { EventPublisher, PublishOptions } from '../platform/kafka/publisher.js';
import type { Redis } from '../platform/redis.js';
import type { EventOf } from '../schemas/events/index.js';
import { createInventoryScripts } from './inventoryScripts.js';
import { createSaleStore } from './saleStore.js';
import { createWriterEpoch } from './writerEpoch.js';

export type LateAcceptance = 'taken' | 'no_unit' | 'not_released';

export function createLateAcceptance({
  redis,
  publisher,
  topicPrefix,
  now = Date.now,
}: {
  redis: Redis;
  publisher: Pick<EventPublisher, 'publish'>;
  topicPrefix: string;
  now?: () => number;
}) {
  const scripts = createInventoryScripts(redis, topicPrefix);
  const store = createSaleStore({ redis, topicPrefix });
  const writer = createWriterEpoch<EventOf<'LatePaymentAccepted'>>({ scripts, waitUntilReady: store.waitUntilReady });
  return {
    /** `options`: the HTTP request asking, where there is one, for the record's request-id header. */
    async accept(a: { transactionId: string; paymentEventId: string; by: string }, options: PublishOptions = {}): Promise<LateAcceptance> {
      const result = await writer.run((epoch) => scripts.acceptLate(epoch, now(), a));
      if (!('event' in result)) return result.outcome;
      writer.written([result.event]);
      await publisher.publish([result.event], options);
      writer.published([result.event]);
      return 'taken';
    },
    close: () => store.close(),
  };
}
