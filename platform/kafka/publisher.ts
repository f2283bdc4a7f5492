// Puts events on Kafka: an idempotent producer, acks from all in-sync replicas, each event
// on its catalog topic under its catalog key. `publish` resolves only once the broker has
// acknowledged, so a caller may answer 2xx after it and never before.
//
// Under load, many callers publish at once (one claim per HTTP request). kafkajs sends one
// produce request per `send`, so publishes that arrive while a batch is in flight are
// gathered and sent together in the next `sendBatch`: the broker round trip is shared, each
// caller still waits for its own acknowledgement, and one publish's events stay together
// and in order.
//
// Bounded everywhere: a publish waits at most `publishTimeoutMs` (then PublishTimeoutError),
// and at most `maxQueuedPublishes` / `maxQueuedBytes` wait for a batch (beyond them
// PublishQueueFullError at once). Both are retriable: the HTTP edge answers 503.
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { keyOf, topicName, topicOf } from '../../schemas/topics.js';
import { FlashsaleError } from '../errors.js';
import { currentRequestId, REQUEST_ID_RECORD_HEADER } from '../requestContext.js';
import type { EventCodec } from '../registry/codec.js';

export type EventPublisher = {
  publish(events: readonly FlashsaleEvent[]): Promise<void>;
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

type Pending = {
  messages: { topic: string; message: Message }[];
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
};

/**
 * One `sendBatch` at a time. kafkajs assigns idempotence sequence numbers without the
 * client-side resequencing that several produce requests in flight need (tulios/kafkajs#980,
 * #598), so the producer runs with maxInFlightRequests 1 and kafkajs serialises produce
 * requests per broker anyway; a second batch would only wait on its lock. Everything that
 * arrives meanwhile goes out together in the next batch.
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

  async function encode(event: FlashsaleEvent): Promise<{ topic: string; message: Message }> {
    return {
      topic: topicName(topicPrefix, topicOf(event.type).name),
      message: {
        key: keyOf(event),
        value: await codec.encode(event),
        // The record's time is when the event happened, so time-bounded replays select by event time.
        timestamp: String(event.occurredAt),
        headers: { 'event-type': event.type, 'event-id': event.eventId, ...requestHeader() },
      },
    };
  }

  function flush(): void {
    scheduled = false;
    if (queue.size === 0 || inFlight >= MAX_IN_FLIGHT_BATCHES) return;
    const batch = takeBatch();
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
    async publish(events) {
      if (events.length === 0) return;
      await enqueue(await Promise.all(events.map(encode)));
    },
    disconnect: () => producer.disconnect(),
  };
}

/** The id of the HTTP request publishing, where there is one (see requestContext.ts). */
function requestHeader(): Record<string, string> {
  const requestId = currentRequestId();
  return requestId ? { [REQUEST_ID_RECORD_HEADER]: requestId } : {};
}

function sizeOf(message: Message): number {
  const value = message.value;
  return (value ? Buffer.byteLength(value) : 0) + (message.key ? Buffer.byteLength(message.key) : 0);
}
