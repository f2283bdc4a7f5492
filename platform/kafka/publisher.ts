// Puts events on Kafka: an idempotent producer, acks from all in-sync replicas, each event
// on its catalog topic under its catalog key. `publish` resolves only once the broker has
// acknowledged, so a caller may answer 2xx after it and never before.
//
// Under load, many callers publish at once (one claim per HTTP request). kafkajs sends one
// produce request per `send`, so publishes that arrive while earlier ones are in flight are
// gathered and sent together in one `sendBatch`: the broker round trip is shared, each
// caller still waits for its own acknowledgement, and one publish's events stay together
// and in order.
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { keyOf, topicName, topicOf } from '../../schemas/topics.js';
import type { EventCodec } from '../registry/codec.js';

export type EventPublisher = {
  publish(events: readonly FlashsaleEvent[]): Promise<void>;
  disconnect(): Promise<void>;
};

type Pending = { messages: { topic: string; message: Message }[]; resolve: () => void; reject: (err: Error) => void };

/** Produce requests in flight at once; publishes beyond them wait and go out together. */
const MAX_IN_FLIGHT_BATCHES = 4;

export async function createEventPublisher({
  kafka,
  codec,
  topicPrefix,
}: {
  kafka: Kafka;
  codec: EventCodec;
  topicPrefix: string;
}): Promise<EventPublisher> {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  await producer.connect();

  let queue: Pending[] = [];
  let inFlight = 0;
  let scheduled = false;

  async function encode(event: FlashsaleEvent): Promise<{ topic: string; message: Message }> {
    return {
      topic: topicName(topicPrefix, topicOf(event.type).name),
      message: {
        key: keyOf(event),
        value: await codec.encode(event),
        // The record's time is when the event happened, so time-bounded replays select by event time.
        timestamp: String(event.occurredAt),
        headers: { 'event-type': event.type, 'event-id': event.eventId },
      },
    };
  }

  function flush(): void {
    scheduled = false;
    if (queue.length === 0 || inFlight >= MAX_IN_FLIGHT_BATCHES) return;
    const batch = queue;
    queue = [];
    inFlight++;
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch.flatMap((p) => p.messages)) {
      const messages = byTopic.get(topic);
      if (messages) messages.push(message);
      else byTopic.set(topic, [message]);
    }
    producer
      .sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
      .then(
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err instanceof Error ? err : new Error('produce failed'))),
      )
      .finally(() => {
        inFlight--;
        schedule();
      });
  }

  function schedule(): void {
    if (scheduled || queue.length === 0) return;
    scheduled = true;
    // setImmediate lets every publish of the current event-loop turn join the same batch.
    setImmediate(flush);
  }

  return {
    async publish(events) {
      if (events.length === 0) return;
      const messages = await Promise.all(events.map(encode));
      await new Promise<void>((resolve, reject) => {
        queue.push({ messages, resolve, reject });
        schedule();
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
