// Runs a consumer group over catalog topics and hands a handler decoded, typed events in
// batches. Offsets are committed only for what was handled. Failures are sorted by
// classifyFailure (platform/errors.ts):
// - transient (a dependency down or refusing writes, the registry unreachable while decoding):
//   the partition is paused with a capped backoff and the same records are fetched again when
//   it resumes, by itself, as long as it takes. Nothing past the last handled record is
//   committed; the group keeps its membership (kafkajs heartbeats while the partition is
//   paused); /readyz and two metrics say who waits and why (consumerWaits.ts).
// - permanent (bytes that do not decode, a record that breaks an invariant): the record goes to
//   the dead-letter topic with the reason and its original bytes; then the consumer goes on.
// - unknown: bounded retries, then the same as permanent.
// A record redriven from the dead-letter topic for another group is skipped (deadLetters.ts).
// Nothing is dropped silently.
import type { Batch, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { FlashsaleEvent } from '../../schemas/events/index.js';
import { type TopicName, topicName } from '../../schemas/topics.js';
import { classifyFailure, reasonOf } from '../errors.js';
import type { Logger } from '../log.js';
import type { EventCodec } from '../registry/codec.js';
import { consumerWaitsOf } from './consumerWaits.js';
import { redrivenForAnother } from './deadLetters.js';
import { consumerGroupId } from './groupId.js';
import { createPartitionPositions, registerLagSource } from './lagGauge.js';

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
  /** How long the group waits for a silent member before rebalancing (KAFKA_SESSION_TIMEOUT_MS); 30 s by default. */
  sessionTimeoutMs?: number;
  /** Retries of a failure nothing classifies (unknown) before its record is dead-lettered. */
  maxRetries?: number;
  retryDelayMs?: number;
  /** While a transient fault is waited out: the first pause, doubled per attempt up to the cap. */
  waitBackoffMs?: { first: number; max: number };
  /** The process's registry: transient faults and waiting consumers are counted there and shown in /readyz. */
  metrics?: Registry;
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
  const backoff = opts.waitBackoffMs ?? { first: 200, max: 5_000 };
  const groupId = consumerGroupId(topicPrefix, subscription.group);
  const log = opts.log.child({ consumer: groupId });
  const waits = consumerWaitsOf(opts.metrics);
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: subscription.fetch?.maxWaitTimeInMs ?? 100,
    minBytes: subscription.fetch?.minBytes ?? 1,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    // kafkajs' 3 s default would miss a short session's deadline; a third of it is Kafka's own advice.
    heartbeatInterval: Math.min(3_000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
  });
  const deadLetters: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await Promise.all([consumer.connect(), deadLetters.connect()]);
  const topics = subscription.topics.map((t) => topicName(topicPrefix, t));
  await consumer.subscribe({ topics, fromBeginning: subscription.fromBeginning ?? true });
  // Lag per partition, dead letters and waits, on the process's operations port.
  const positions = createPartitionPositions({ kafka, groupId, topics });
  const unregisterLag = opts.metrics ? registerLagSource(opts.metrics, { group: groupId, lags: () => positions.lags() }) : () => undefined;
  const deadLettered = opts.metrics ? deadLetterCounter(opts.metrics) : undefined;
  deadLettered?.inc({ consumer: subscription.group }, 0);
  waits.watching(subscription.group);

  async function deadLetter(message: KafkaMessage, position: Position, reason: string): Promise<void> {
    log.error({ ...position, reason }, 'dead-lettering a record');
    deadLettered?.inc({ consumer: subscription.group });
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

  type Outcome = { kind: 'done' } | { kind: 'wait'; error: Error } | { kind: 'failed'; error: Error } | { kind: 'stopped' };

  /** Calls the handler; an unknown failure is retried a few times here, a transient one is handed back to be waited out with the partition paused. */
  async function attempt(batch: Delivered[], payload: EachBatchPayload): Promise<Outcome> {
    for (let n = 0; ; n++) {
      try {
        await handle(batch);
        return { kind: 'done' };
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (!payload.isRunning() || payload.isStale()) return { kind: 'stopped' };
        const kind = classifyFailure(error);
        if (kind === 'transient') return { kind: 'wait', error };
        if (kind === 'permanent' || n >= maxRetries) return { kind: 'failed', error };
        log.warn({ attempt: n, err: error.message }, 'handler failed; retrying');
        await payload.heartbeat();
        await new Promise((r) => setTimeout(r, Math.min(retryDelayMs * 2 ** n, 5_000)));
      }
    }
  }

  // Partitions paused to wait out a fault: how many attempts so far, and the timers that resume them.
  const attempts = new Map<string, number>();
  const resumers = new Set<NodeJS.Timeout>();

  function waitOut(payload: EachBatchPayload, partition: string, error: Error): void {
    const n = (attempts.get(partition) ?? 0) + 1;
    attempts.set(partition, n);
    const wait = waits.faulted(subscription.group, partition, reasonOf(error));
    const delayMs = Math.min(backoff.first * 2 ** (n - 1), backoff.max);
    const level = n === 1 || n % 10 === 0 ? 'warn' : 'debug';
    log[level](
      { partition, attempt: n, delayMs, waitingMs: Date.now() - wait.since, err: error.message },
      'waiting out a transient fault; partition paused',
    );
    const resume = payload.pause();
    const timer = setTimeout(() => {
      resumers.delete(timer);
      resume();
    }, delayMs);
    resumers.add(timer);
  }

  function movedOn(partition: string): void {
    if (!attempts.delete(partition)) return;
    const wait = waits.resumed(subscription.group, partition);
    log.info({ partition, waitedMs: wait ? Date.now() - wait.since : undefined }, 'transient fault over; partition resumed');
  }

  // A partition handed to another member is no longer ours to wait for.
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    positions.assigned(payload.memberAssignment);
    const assigned = new Set(Object.entries(payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    for (const partition of [...attempts.keys()]) if (!assigned.has(partition)) movedOn(partition);
  });

  type Received = { message: KafkaMessage; position: Position } & (
    { kind: 'event'; delivered: Delivered } | { kind: 'undecodable'; reason: string } | { kind: 'not ours' }
  );

  /** Decode in order, up to the first record the registry cannot answer for now: the records before it are handled, the rest are fetched again after the pause. */
  async function decodeBatch(batch: Batch): Promise<{ received: Received[]; fault?: Error }> {
    const received: Received[] = [];
    for (const message of batch.messages) {
      const position = { topic: batch.topic, partition: batch.partition, offset: message.offset };
      if (redrivenForAnother(message.headers, groupId)) {
        received.push({ message, position, kind: 'not ours' });
        continue;
      }
      try {
        const event = await codec.decode(message.value);
        received.push({ message, position, kind: 'event', delivered: { event, position, timestamp: Number(message.timestamp) } });
      } catch (err) {
        // Only bytes known not to decode are the record's fault; anything else may be fine tomorrow.
        if (classifyFailure(err) !== 'permanent') return { received, fault: err instanceof Error ? err : new Error(String(err)) };
        received.push({ message, position, kind: 'undecodable', reason: reasonOf(err) });
      }
    }
    return { received };
  }

  /** The batch keeps failing: find the records that fail alone, dead-letter them, keep the rest. Stops at a transient fault. */
  async function oneByOne(received: Received[], payload: EachBatchPayload): Promise<Error | 'stopped' | undefined> {
    for (const r of received) {
      if (r.kind === 'event') {
        const alone = await attempt([r.delivered], payload);
        if (alone.kind === 'stopped') return 'stopped';
        if (alone.kind === 'wait') return alone.error;
        if (alone.kind === 'failed') {
          const retries = classifyFailure(alone.error) === 'permanent' ? '' : ` after ${maxRetries} retries`;
          await deadLetter(r.message, r.position, `handler failed${retries}: ${alone.error.message}`);
        }
      } else if (r.kind === 'undecodable') {
        await deadLetter(r.message, r.position, `undecodable: ${r.reason}`);
      }
      payload.resolveOffset(r.message.offset);
      positions.handled(r.position.topic, r.position.partition, Number(r.message.offset) + 1, Number(payload.batch.highWatermark));
    }
    return undefined;
  }

  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommitThreshold: 1,
    eachBatch: async (payload) => {
      const partition = `${payload.batch.topic}:${payload.batch.partition}`;
      const decoded = await decodeBatch(payload.batch);
      const { received } = decoded;
      let fault = decoded.fault;

      const events = received.flatMap((r) => (r.kind === 'event' ? [r.delivered] : []));
      const whole = events.length > 0 ? await attempt(events, payload) : ({ kind: 'done' } as const);
      if (whole.kind === 'stopped') return;
      if (whole.kind === 'wait') {
        waitOut(payload, partition, whole.error);
        return; // nothing of this batch resolved: it is fetched again when the partition resumes
      }
      if (whole.kind === 'done') {
        for (const r of received) if (r.kind === 'undecodable') await deadLetter(r.message, r.position, `undecodable: ${r.reason}`);
        const last = received.at(-1);
        if (last) {
          payload.resolveOffset(last.message.offset);
          positions.handled(
            payload.batch.topic,
            payload.batch.partition,
            Number(last.message.offset) + 1,
            Number(payload.batch.highWatermark),
          );
        }
      } else {
        const stoppedAt = await oneByOne(received, payload);
        if (stoppedAt === 'stopped') return;
        fault = stoppedAt ?? fault;
      }
      await payload.commitOffsetsIfNecessary();
      if (fault) waitOut(payload, partition, fault);
      else movedOn(partition);
      await payload.heartbeat();
    },
  });

  return {
    async stop() {
      for (const timer of resumers) clearTimeout(timer);
      for (const partition of attempts.keys()) waits.resumed(subscription.group, partition);
      attempts.clear();
      // disconnect() lets the batch in hand finish and commits what it resolved.
      await consumer.disconnect();
      await deadLetters.disconnect();
      unregisterLag();
      await positions.close();
    },
  };
}

function deadLetterCounter(metrics: Registry): Counter<'consumer'> {
  const name = 'flashsale_dead_letters_total';
  return (
    (metrics.getSingleMetric(name) as Counter<'consumer'> | undefined) ??
    new Counter({
      name,
      help: 'Records a consumer of this process sent to the dead-letter topic',
      labelNames: ['consumer'],
      registers: [metrics],
    })
  );
}
