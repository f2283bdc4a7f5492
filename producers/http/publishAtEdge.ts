// Publishing from inside a request: an event Kafka did not acknowledge was not recorded, and
// retrying helps, so the caller gets 503 with Retry-After rather than a 500.
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import { unavailable } from './errors.js';

export function publisherAtEdge(publisher: EventPublisher, log: Logger): EventPublisher {
  return {
    async publish(events, options) {
      try {
        await publisher.publish(events, options);
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

/** The publisher as one request uses it: every record it publishes carries that request's id. */
export function publishingFor(publisher: EventPublisher, requestId: string | undefined): EventPublisher {
  return {
    publish: (events, options) => publisher.publish(events, { requestId, ...options }),
    disconnect: () => publisher.disconnect(),
  };
}
