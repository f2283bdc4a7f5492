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

/** A refusal and the request that was refused, whose id its record carries. */
type Queued = { event: Refusal; requestId?: string };

export type RefusalRecorder = {
  /** Never blocks and never throws: queues the event for the next batch, its record to carry `requestId` (the refused request's). */
  record(refusal: Refusal, requestId?: string): void;
  /** Publishes everything queued (until `deadlineMs`), then stops. */
  close(deadlineMs?: number): Promise<void>;
};

export const REFUSALS_MAX_QUEUED = 50_000;
export const REFUSALS_MAX_BATCH = 1_000;
const FLUSH_INTERVAL_MS = 50;
const RETRY_DELAY_MS = 1_000;
const DROP_LOG_INTERVAL_MS = 5_000;

type RecorderOptions = {
  /** The raw publisher: a failure here is retried, never a 503 to anyone. */
  publisher: EventPublisher;
  log: Logger;
  metrics?: Registry;
  maxQueued?: number;
  maxBatch?: number;
  flushIntervalMs?: number;
  retryDelayMs?: number;
};

export function createRefusalRecorder({
  publisher,
  log,
  metrics,
  maxQueued = REFUSALS_MAX_QUEUED,
  maxBatch = REFUSALS_MAX_BATCH,
  flushIntervalMs = FLUSH_INTERVAL_MS,
  retryDelayMs = RETRY_DELAY_MS,
}: RecorderOptions): RefusalRecorder {
  const counts = refusalMetrics(metrics);
  const noteDrops = dropNoter(log, maxQueued, counts.dropped);
  const state = { queue: [] as Queued[], flushing: undefined as Promise<void> | undefined, retryAt: 0, closed: false };

  /** Drops the oldest beyond the bound. */
  function trim(): void {
    const over = state.queue.length - maxQueued;
    if (over <= 0) return;
    state.queue = state.queue.slice(over);
    noteDrops(over);
  }

  async function flushOnce(): Promise<void> {
    const batch = state.queue.slice(0, maxBatch);
    state.queue = state.queue.slice(batch.length);
    const { failed, err } = await publishEach(publisher, batch);
    counts.recorded.inc(batch.length - failed.length);
    if (failed.length > 0) {
      // Back in front, in order; what no longer fits is dropped oldest first.
      state.queue = [...failed, ...state.queue];
      trim();
      state.retryAt = Date.now() + retryDelayMs;
      log.warn({ err: err?.message, refusals: failed.length }, 'edge refusals not recorded yet: retrying');
    }
    counts.queued.set(state.queue.length);
  }

  function kick(): void {
    if (state.flushing || state.queue.length === 0 || Date.now() < state.retryAt) return;
    state.flushing = flushOnce().finally(() => {
      state.flushing = undefined;
      // A full batch waiting: go on at once rather than at the next tick.
      if (state.queue.length >= maxBatch) kick();
    });
  }

  const timer = setInterval(kick, flushIntervalMs).unref();

  return {
    record(refusal, requestId) {
      if (state.closed) return noteDrops(1);
      state.queue.push(requestId ? { event: refusal, requestId } : { event: refusal });
      trim();
      counts.queued.set(state.queue.length);
      if (state.queue.length >= maxBatch) kick();
    },
    async close(deadlineMs = 5_000) {
      state.closed = true;
      clearInterval(timer);
      await drain(state, kick, Date.now() + deadlineMs);
      if (state.queue.length === 0) return;
      noteDrops(state.queue.length);
      log.error({ refusals: state.queue.length }, 'edge refusals left unrecorded at shutdown: Kafka did not take them in time');
      state.queue = [];
    },
  };
}

/**
 * One publish per refusal, each under the id of the request that was refused (its record's
 * request-id header); the publisher still sends them to Kafka together, in one batch. Answers
 * those Kafka did not take, in order.
 */
async function publishEach(publisher: EventPublisher, batch: readonly Queued[]): Promise<{ failed: Queued[]; err?: Error }> {
  const outcomes = await Promise.allSettled(
    batch.map(({ event, requestId }) => publisher.publish([event], requestId ? { requestId } : {})),
  );
  const failed = batch.filter((_, i) => outcomes[i]!.status === 'rejected');
  const rejected = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  return rejected ? { failed, err: rejected.reason as Error } : { failed };
}

/** Flushes until nothing is queued or the deadline passes, waiting out a retry delay. */
async function drain(
  state: { queue: readonly Queued[]; flushing: Promise<void> | undefined; retryAt: number },
  kick: () => void,
  deadline: number,
): Promise<void> {
  while (Date.now() < deadline) {
    if (state.flushing) await state.flushing;
    else if (state.queue.length === 0) return;
    else if (Date.now() < state.retryAt) await new Promise((r) => setTimeout(r, Math.min(state.retryAt, deadline) - Date.now()));
    else kick();
  }
}

function refusalMetrics(metrics: Registry | undefined) {
  const registers = metrics ? [metrics] : [];
  return {
    recorded: new Counter({
      name: 'flashsale_edge_refusals_recorded_total',
      help: 'Claims refused at the edge whose ClaimRejected event Kafka acknowledged',
      registers,
    }),
    dropped: new Counter({
      name: 'flashsale_edge_refusals_dropped_total',
      help: 'Edge refusals dropped unrecorded because the queue was full (oldest first) or the process stopped',
      registers,
    }),
    queued: new Gauge({ name: 'flashsale_edge_refusals_queued', help: 'Edge refusals waiting to be published', registers }),
  };
}

/** Counts every drop; logs them at most once per DROP_LOG_INTERVAL_MS, with how many since the last line. */
function dropNoter(log: Logger, maxQueued: number, dropped: Counter) {
  let droppedSinceLog = 0;
  let lastDropLog = 0;
  return (n: number): void => {
    dropped.inc(n);
    droppedSinceLog += n;
    const now = Date.now();
    if (now - lastDropLog < DROP_LOG_INTERVAL_MS) return;
    log.warn({ dropped: droppedSinceLog, maxQueued }, 'edge refusals dropped unrecorded: the queue was full (Kafka slow or away)');
    droppedSinceLog = 0;
    lastDropLog = now;
  };
}
