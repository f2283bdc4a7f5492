// Claims refused at the edge (sold out, not open) go on record without the request waiting
// for Kafka: the route hands the ClaimRejected event here and answers 409 at once; this
// publishes them in batches, in the background. Bounded: at most `maxQueued` wait; beyond
// that the oldest is dropped, counted and logged (the transaction's decision is already in
// the Redis store, only its event is lost), and a request never blocks on it. A failed batch
// goes back to the front and is retried after `retryDelayMs`. `close` flushes what is left,
// within a deadline, on shutdown; a crash loses what waits here (at most `maxQueued`).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import type { Logger } from '../../../platform/log.js';
import type { EventOf } from '../../../schemas/events/index.js';

export type Refusal = EventOf<'ClaimRejected'>;

export type RefusalRecorder = {
  /** Never blocks and never throws: queues the event for the next batch. */
  record(refusal: Refusal): void;
  /** Publishes everything queued (until `deadlineMs`), then stops. */
  close(deadlineMs?: number): Promise<void>;
};

export const REFUSALS_MAX_QUEUED = 50_000;
export const REFUSALS_MAX_BATCH = 1_000;
const FLUSH_INTERVAL_MS = 50;
const RETRY_DELAY_MS = 1_000;
const DROP_LOG_INTERVAL_MS = 5_000;

export function createRefusalRecorder({
  publisher,
  log,
  metrics,
  maxQueued = REFUSALS_MAX_QUEUED,
  maxBatch = REFUSALS_MAX_BATCH,
  flushIntervalMs = FLUSH_INTERVAL_MS,
  retryDelayMs = RETRY_DELAY_MS,
}: {
  /** The raw publisher: a failure here is retried, never a 503 to anyone. */
  publisher: EventPublisher;
  log: Logger;
  metrics?: Registry;
  maxQueued?: number;
  maxBatch?: number;
  flushIntervalMs?: number;
  retryDelayMs?: number;
}): RefusalRecorder {
  const registers = metrics ? [metrics] : [];
  const recorded = new Counter({
    name: 'flashsale_edge_refusals_recorded_total',
    help: 'Claims refused at the edge whose ClaimRejected event Kafka acknowledged',
    registers,
  });
  const dropped = new Counter({
    name: 'flashsale_edge_refusals_dropped_total',
    help: 'Edge refusals dropped unrecorded because the queue was full (oldest first)',
    registers,
  });
  const queuedGauge = new Gauge({ name: 'flashsale_edge_refusals_queued', help: 'Edge refusals waiting to be published', registers });

  let queue: Refusal[] = [];
  let flushing: Promise<void> | undefined;
  let retryAt = 0;
  let droppedSinceLog = 0;
  let lastDropLog = 0;
  let closed = false;

  function noteDrops(n: number): void {
    dropped.inc(n);
    droppedSinceLog += n;
    const now = Date.now();
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return;
    log.warn({ dropped: droppedSinceLog, maxQueued }, 'edge refusals dropped unrecorded: the queue was full (Kafka slow or away)');
    droppedSinceLog = 0;
    lastDropLog = now;
  }

  function trim(): void {
    const over = queue.length - maxQueued;
    if (over <= 0) return;
    queue = queue.slice(over);
    noteDrops(over);
  }

  async function flushOnce(): Promise<void> {
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    try {
      await publisher.publish(batch);
      recorded.inc(batch.length);
    } catch (err) {
      // Back in front, in order; what no longer fits is dropped oldest first.
      queue = [...batch, ...queue];
      trim();
      retryAt = Date.now() + retryDelayMs;
      log.warn({ err: (err as Error).message, refusals: batch.length }, 'edge refusals not recorded yet: retrying');
    } finally {
      queuedGauge.set(queue.length);
    }
  }

  function kick(): void {
    if (flushing || queue.length === 0 || Date.now() < retryAt) return;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
      // A full batch waiting: go on at once rather than at the next tick.
      if (queue.length >= maxBatch) kick();
    });
  }

  const timer = setInterval(kick, flushIntervalMs);
  timer.unref();

  return {
    record(refusal) {
      if (closed) {
        noteDrops(1);
        return;
      }
      queue.push(refusal);
      trim();
      queuedGauge.set(queue.length);
      if (queue.length >= maxBatch) kick();
    },

    async close(deadlineMs = 5_000) {
      closed = true;
      clearInterval(timer);
      const deadline = Date.now() + deadlineMs;
      while (Date.now() < deadline) {
        if (flushing) await flushing;
        else if (queue.length === 0) return;
        else if (Date.now() < retryAt) await new Promise((r) => setTimeout(r, Math.min(retryAt, deadline) - Date.now()));
        else kick();
      }
      if (queue.length > 0) {
        noteDrops(queue.length);
        log.error({ refusals: queue.length }, 'edge refusals left unrecorded at shutdown: Kafka did not take them in time');
        queue = [];
      }
    },
  };
}
