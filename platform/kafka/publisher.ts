// Puts events on Kafka: an idempotent producer, acks from all in-sync replicas, each event
// on its catalog topic under its catalog key. `publish` resolves only once the broker has
// acknowledged, so a caller may answer 2xx after it and never before.
//
// Under load, many callers publish at once (one claim per HTTP request). kafkajs sends one
// produce request per `send`, so publishes that arrive while a batch is in flight are
// gathered and sent together in the next batch: the broker round trip is shared, each
// caller still waits for its own acknowledgement, and one publish's events to a partition
// stay together and in order.
//
// One produce request per partition. kafkajs' sendBatch, given partitions led by several
// brokers, remembers which brokers answered, and when a retry finds a failed partition's
// leadership moved to a broker that already answered, it never sends that partition again
// and resolves as if all were acknowledged (tulios/kafkajs#1303): the nemesis suite lost 17
// acknowledged claims that way (3 brokers, seed 111, a leader killed). So the publisher works
// out each record's partition itself (partitioning.ts) and sends each partition's records in
// their own sendBatch, all at once; a caller is answered when every partition it wrote to is.
//
// Bounded everywhere: a publish waits at most `publishTimeoutMs` (then PublishTimeoutError),
// and at most `maxQueuedPublishes` / `maxQueuedBytes` wait for a batch (beyond them
// PublishQueueFullError at once). Both are retriable: the HTTP edge answers 503.
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { keyOf, shardOffsetOf, topicName, topicOf } from '../../schemas/topics.js';
import { partitionOf } from './partitioning.js';
import { FlashsaleError } from '../errors.js';
import type { EventCodec } from '../registry/codec.js';

/** The Kafka record header that carries the id of the HTTP request that published the record. */
export const REQUEST_ID_RECORD_HEADER = 'request-id';

/**
 * `requestId`: the HTTP request publishing, where there is one (the access log's id), put in
 * each record's request-id header so one shopper's request can be followed from the access
 * log to the events it caused. Passed along rather than found in an AsyncLocalStorage: on
 * Node.js 20 that costs every promise of the process a hook, a tenth of the api's CPU per claim.
 */
export type PublishOptions = { requestId?: string };

export type EventPublisher = {
  publish(events: readonly FlashsaleEvent[], options?: PublishOptions): Promise<void>;
  disconnect(): Promise<void>;
};

/** Kafka did not acknowledge in time: the events may or may not be on the log, so the caller must retry. */
export class PublishTimeoutError extends FlashsaleError {
  override name = 'PublishTimeoutError';
  readonly retriable = true;
}

/** Too many publishes already wait for the broker (it is slow or away): refused at once, retry later. */
export class PublishQueueFullError extends FlashsaleError {
  override name = 'PublishQueueFullError';
  readonly retriable = true;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 3_000;
const DEFAULT_MAX_QUEUED_PUBLISHES = 20_000;
const DEFAULT_MAX_QUEUED_BYTES = 32 * 1024 * 1024;

/** A record on its way: the topic and partition it goes to are settled before the send. */
type Outgoing = { topic: string; message: Message & { partition: number } };

type Pending = {
  messages: Outgoing[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
};

/**
 * One batch at a time (its partitions' sends together). kafkajs assigns idempotence sequence
 * numbers without the client-side resequencing that several produce requests in flight for
 * one partition need (tulios/kafkajs#980, #598), so the producer runs with
 * maxInFlightRequests 1, and the next batch, which may write the same partitions, waits until
 * every send of this one has settled. Everything that arrives meanwhile goes out together in
 * the next batch.
 */
const MAX_IN_FLIGHT_BATCHES = 1;

/** Payload bytes in one `sendBatch`, well under the broker's default message.max.bytes (1 MiB) per partition. */
const MAX_BATCH_BYTES = 512 * 1024;

export async function createEventPublisher({
  kafka,
  codec,
  topicPrefix,
  publishTimeoutMs = DEFAULT_PUBLISH_TIMEOUT_MS,
  maxQueuedPublishes = DEFAULT_MAX_QUEUED_PUBLISHES,
  maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES,
}: {
  kafka: Pick<Kafka, 'producer'>;
  codec: Pick<EventCodec, 'encode'>;
  topicPrefix: string;
  /** How long a caller waits for the acknowledgement before PublishTimeoutError. */
  publishTimeoutMs?: number;
  maxQueuedPublishes?: number;
  maxQueuedBytes?: number;
}): Promise<EventPublisher> {
  // kafkajs retries an idempotent produce without limit (limiting it could reuse a sequence
  // number for different records): the caller's deadline bounds the wait, not the retries.
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();

  // Publishes waiting for the next batch, in arrival order (a Set keeps insertion order and
  // lets a publish past its deadline leave in O(1)).
  const queue = new Set<Pending>();
  let queuedBytes = 0;
  let inFlight = 0;
  let scheduled = false;

  async function encode(event: FlashsaleEvent): Promise<Outgoing> {
    const topic = topicOf(event.type).name;
    const key = keyOf(event);
    return {
      topic: topicName(topicPrefix, topic),
      message: {
        key,
        partition: partitionOf(topic, key, shardOffsetOf(event)),
        value: await codec.encode(event),
        // The record's time is when the event happened, so time-bounded replays select by event time.
        timestamp: String(event.occurredAt),
        headers: { 'event-type': event.type, 'event-id': event.eventId },
      },
    };
  }

  function flush(): void {
    scheduled = false;
    if (queue.size === 0 || inFlight >= MAX_IN_FLIGHT_BATCHES) return;
    const batch = takeBatch();
    inFlight++;
    const sends = sendPerPartition(batch.flatMap((p) => p.messages));
    const sent = (m: Outgoing) => sends.get(partitionKey(m)) ?? Promise.reject(new Error(`no send for ${partitionKey(m)}`));
    for (const pending of batch)
      Promise.all(pending.messages.map(sent)).then(
        () => pending.resolve(),
        (err: unknown) => pending.reject(err instanceof Error ? err : new Error('produce failed')),
      );
    void Promise.allSettled(sends.values()).then(() => {
      inFlight--;
      schedule();
    });
  }

  /** Each partition's records in one sendBatch of their own, all sent at once; by partition, when each is acknowledged. */
  function sendPerPartition(messages: readonly Outgoing[]): Map<string, Promise<void>> {
    const byPartition = new Map<string, Outgoing[]>();
    for (const m of messages) {
      const key = partitionKey(m);
      const same = byPartition.get(key);
      if (same) same.push(m);
      else byPartition.set(key, [m]);
    }
    return new Map([...byPartition].map(([key, records]) => [key, sendPartition(records)]));
  }

  async function sendPartition(records: readonly Outgoing[]): Promise<void> {
    const { topic, message } = records[0]!;
    const acknowledged = await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [{ topic, messages: records.map((r) => r.message) }],
    });
    // The guard the bug above lacked: an answer must name the partition written to.
    if (!acknowledged.some((a) => a.topicName === topic && a.partition === message.partition))
      throw new PublishTimeoutError(`Kafka answered without acknowledging ${topic}/${message.partition}`);
  }

  /** The oldest publishes, up to MAX_BATCH_BYTES (at least one): a record batch past the broker's message.max.bytes is refused whole. */
  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    for (const pending of queue) {
      if (batch.length > 0 && bytes + pending.bytes > MAX_BATCH_BYTES) break;
      batch.push(pending);
      bytes += pending.bytes;
    }
    for (const pending of batch) queue.delete(pending);
    queuedBytes -= bytes;
    return batch;
  }

  function schedule(): void {
    if (scheduled || queue.size === 0) return;
    scheduled = true;
    // setImmediate lets every publish of the current event-loop turn join the same batch.
    setImmediate(flush);
  }

  function enqueue(messages: Pending['messages']): Promise<void> {
    const bytes = messages.reduce((sum, { message }) => sum + sizeOf(message), 0);
    if (queue.size >= maxQueuedPublishes || queuedBytes + bytes > maxQueuedBytes)
      return Promise.reject(
        new PublishQueueFullError(`${queue.size} publishes (${queuedBytes} bytes) already wait for Kafka; retry shortly`),
      );
    return new Promise<void>((resolve, reject) => {
      const pending: Pending = { messages, bytes, resolve, reject };
      const timer = setTimeout(() => {
        // Not sent yet: it never will be, so nothing the caller was refused reaches the log.
        // Already in a batch: it may still be acknowledged; the caller was told to retry.
        if (queue.delete(pending)) queuedBytes -= bytes;
        reject(new PublishTimeoutError(`Kafka did not acknowledge within ${publishTimeoutMs} ms`));
      }, publishTimeoutMs);
      pending.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      pending.reject = (err) => {
        clearTimeout(timer);
        reject(err);
      };
      queue.add(pending);
      queuedBytes += bytes;
      schedule();
    });
  }

  return {
    async publish(events, { requestId } = {}) {
      if (events.length === 0) return;
      const messages = await Promise.all(events.map(encode));
      if (requestId) for (const { message } of messages) message.headers = { ...message.headers, [REQUEST_ID_RECORD_HEADER]: requestId };
      await enqueue(messages);
    },
    disconnect: () => producer.disconnect(),
  };
}

const partitionKey = ({ topic, message }: Outgoing) => `${topic}/${message.partition}`;

function sizeOf(message: Message): number {
  const value = message.value;
  return (value ? Buffer.byteLength(value) : 0) + (message.key ? Buffer.byteLength(message.key) : 0);
}
