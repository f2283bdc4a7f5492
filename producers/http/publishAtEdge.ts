// Publishing from inside a request: an event Kafka did not acknowledge was not recorded, and
// retrying helps, so the caller gets 503 with Retry-After rather than a 500.
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import { unavailable } from './errors.js';

export function publisherAtEdge(publisher: EventPublisher, log: Logger): EventPublisher {
  return {
    async publish(events) {
      try {
        await publisher.publish(events);
      } catch (err) {
        const first = events[0];
        log.error(
          { err: (err as Error).message, type: first?.type, correlationId: first?.correlationId },
          'event not acknowledged by Kafka',
        );
        throw unavailable('could not record this now; retry shortly');
      }
    },
    disconnect: () => publisher.disconnect(),
  };
}
