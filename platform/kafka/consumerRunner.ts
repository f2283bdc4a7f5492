// Runs a consumer group over catalog topics and hands a handler decoded, typed events in
// batches. Offsets are committed only for what was handled. A record that cannot be
// decoded, or that its handler still fails on after bounded retries, goes to the
// dead-letter topic with the reason and its original bytes; then the consumer goes on.
// Nothing is dropped silently.
import type { EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { type TopicName, topicName } from '../../schemas/topics.js';
import { isRetriable } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventCodec } from '../registry/codec.js';
import { consumerGroupId } from './groupId.js';

/** Where an event sits in the log: projections use it to guard against applying twice. */
export type Position = { topic: string; partition: number; offset: string };

export type Delivered = { event: FlashsaleEvent; position: Position; timestamp: number };

export type BatchHandler = (batch: Delivered[]) => Promise<void>;

export type ConsumerRunner = { stop(): Promise<void> };

/**
 * What a consumer reads, declared beside the code that handles it: the group's name (its id
 * comes from consumerGroupId, with the topic prefix), the catalog topics, and how fetches
 * trade latency for batch size (the default answers as soon as one record is there).
 */
export type Subscription = {
  group: string;
  topics: readonly TopicName[];
  fetch?: FetchPolicy;
  /** Where a group without committed offsets starts; from the beginning unless said otherwise. */
  fromBeginning?: boolean;
};

export type ConsumerRunnerOptions = {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  topicPrefix: string;
  subscription: Subscription;
  handle: BatchHandler;
  maxRetries?: number;
  retryDelayMs?: number;
};

export type FetchPolicy = { minBytes: number; maxWaitTimeInMs: number };

/**
 * For consumers nobody waits on (projections, reconciliation): the broker holds a fetch
 * until 64 KiB have gathered or 50 ms have passed, so under load each batch (its handler
 * call, database transaction and offset commit) carries hundreds of records, not a few.
 */
export const BATCHED_FETCH: FetchPolicy = { minBytes: 64 * 1024, maxWaitTimeInMs: 50 };

export async function startConsumerRunner(opts: ConsumerRunnerOptions): Promise<ConsumerRunner> {
  const { kafka, codec, topicPrefix, subscription, handle, maxRetries = 3, retryDelayMs = 200 } = opts;
  const groupId = consumerGroupId(topicPrefix, subscription.group);
  const log = opts.log.child({ consumer: groupId });
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: subscription.fetch?.maxWaitTimeInMs ?? 100,
    minBytes: subscription.fetch?.minBytes ?? 1,
    sessionTimeout: 30_000,
  });
  const deadLetters: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), deadLetters.connect()]);
  await consumer.subscribe({
    topics: subscription.topics.map((t) => topicName(topicPrefix, t)),
    fromBeginning: subscription.fromBeginning ?? true,
  });

  async function deadLetter(message: KafkaMessage, position: Position, reason: string): Promise<void> {
    log.error({ ...position, reason }, 'dead-lettering a record');
    await deadLetters.send({
      topic: topicName(topicPrefix, 'dead-letter'),
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            'dlq-reason': reason,
            'dlq-topic': position.topic,
            'dlq-partition': String(position.partition),
            'dlq-offset': position.offset,
            'dlq-consumer': groupId,
          },
        },
      ],
    });
  }

  /** Calls the handler with retries; a retriable error (NotReadyError) waits as long as the consumer runs. */
  async function handleWithRetries(batch: Delivered[], payload: EachBatchPayload): Promise<Error | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        await handle(batch);
        return undefined;
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (!payload.isRunning() || payload.isStale()) throw error;
        if (!isRetriable(error) && attempt >= maxRetries) return error;
        log.warn({ attempt, err: error.message }, 'handler failed; retrying');
        await payload.heartbeat();
        await new Promise((r) => setTimeout(r, Math.min(retryDelayMs * 2 ** Math.min(attempt, 5), 5_000)));
      }
    }
  }

  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommitThreshold: 1,
    eachBatch: async (payload) => {
      const { batch } = payload;
      const delivered: { d: Delivered; message: KafkaMessage }[] = [];
      for (const message of batch.messages) {
        const position = { topic: batch.topic, partition: batch.partition, offset: message.offset };
        try {
          delivered.push({ d: { event: await codec.decode(message.value), position, timestamp: Number(message.timestamp) }, message });
        } catch (err) {
          await deadLetter(message, position, `undecodable: ${(err as Error).message}`);
        }
      }
      const failure = await handleWithRetries(
        delivered.map((x) => x.d),
        payload,
      );
      if (failure) {
        // The batch keeps failing: find the records that fail alone, dead-letter them, keep the rest.
        for (const { d, message } of delivered) {
          const alone = await handleWithRetries([d], payload);
          if (alone) await deadLetter(message, d.position, `handler failed after ${maxRetries} retries: ${alone.message}`);
        }
      }
      const last = batch.messages.at(-1);
      if (last) payload.resolveOffset(last.offset);
      await payload.commitOffsetsIfNecessary();
      await payload.heartbeat();
    },
  });

  return {
    async stop() {
      // disconnect() lets the batch in hand finish and commits what it resolved.
      await consumer.disconnect();
      await deadLetters.disconnect();
    },
  };
}
