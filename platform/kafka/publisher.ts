// Puts events on Kafka: an idempotent producer, acks from all in-sync replicas, each event
// on its catalog topic under its catalog key. `publish` resolves only once the broker has
// acknowledged, so a caller may answer 2xx after it and never before.
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { keyOf, topicName, topicOf } from '../../schemas/topics.js';
import type { EventCodec } from '../registry/codec.js';

export type EventPublisher = {
  publish(events: readonly FlashsaleEvent[]): Promise<void>;
  disconnect(): Promise<void>;
};

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
  return {
    async publish(events) {
      if (events.length === 0) return;
      const byTopic = new Map<string, { key: string; value: Buffer; timestamp: string; headers: Record<string, string> }[]>();
      for (const event of events) {
        const topic = topicName(topicPrefix, topicOf(event.type).name);
        const messages = byTopic.get(topic) ?? [];
        messages.push({
          key: keyOf(event),
          value: await codec.encode(event),
          // The record's time is when the event happened, so time-bounded replays select by event time.
          timestamp: String(event.occurredAt),
          headers: { 'event-type': event.type, 'event-id': event.eventId },
        });
        byTopic.set(topic, messages);
      }
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    disconnect: () => producer.disconnect(),
  };
}
