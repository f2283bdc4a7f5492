// Feeds the reconciliation projection from our topics and the partner's (its subscription is
// the read model's: projections/reconciliation/subscription.ts), publishes what it flags, and
// keeps the event-time clock moving when the topics are quiet. Offsets are
// committed after the batch's database transaction; a crash in between redelivers records
// whose positions the projection has already applied, and they change nothing.
import type { EventOf } from '../../schemas/events/index.js';
import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import type { Mismatch } from '../../domain/reconciliation/mismatch.js';
import { waitUnlessRecordsFault } from '../../platform/errors.js';
import type { BatchHandler } from '../../platform/kafka/consumerRunner.js';
import { consumerGroupId } from '../../platform/kafka/groupId.js';
import { readTopicRange } from '../../platform/kafka/topicReader.js';
import type { Logger } from '../../platform/log.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import type { MismatchOutbox } from '../../projections/reconciliation/outbox.js';
import type { ReconciliationProjection } from '../../projections/reconciliation/projection.js';
import { reconciliationSubscription } from '../../projections/reconciliation/subscription.js';
import { topicName } from '../../schemas/topics.js';
import { type IdleClock, readToEnd, startIdleClock } from './idleClock.js';

function mismatchCounter(metrics: Registry): Counter<'kind'> {
  const name = 'flashsale_reconciliation_mismatches_total';
  return (
    (metrics.getSingleMetric(name) as Counter<'kind'> | undefined) ??
    new Counter({ name, help: 'Mismatches reconciliation flagged, by kind', labelNames: ['kind'], registers: [metrics] })
  );
}

/**
 * A crash between Kafka's acknowledgement and the outbox delete leaves published flags in the
 * outbox. Their records carry the flag's time (occurredAt = detectedAt), so reading the topic
 * from the oldest one finds every one that got through; those are not published again.
 */
async function forgetPublished({
  kafka,
  codec,
  topicPrefix,
  outbox,
  log,
}: {
  kafka: Kafka;
  codec: EventCodec;
  topicPrefix: string;
  outbox: MismatchOutbox;
  log: Logger;
}): Promise<void> {
  const { ids, oldest } = await outbox.pending();
  if (oldest === null) return;
  const waiting = new Set(ids);
  const seen: string[] = [];
  await readTopicRange({
    kafka,
    codec,
    topicPrefix,
    topics: ['reconciliation'],
    from: oldest,
    onBatch: (batch) => {
      for (const d of batch) if (waiting.has(d.event.eventId)) seen.push(d.event.eventId);
    },
  });
  const forgotten = await outbox.forget(seen);
  log.info({ waiting: ids.length, alreadyPublished: forgotten }, 'outbox checked against the reconciliation topic');
}

/**
 * The idle clock's look, once, before consuming: a partition with a backlog holds the clock
 * from the first batch on. A broker that does not know the group's coordinator yet (just
 * started) is asked again.
 */
async function notePartitions({
  kafka,
  topicPrefix,
  projection,
  log,
  attempts = 60,
}: {
  kafka: Kafka;
  topicPrefix: string;
  projection: ReconciliationProjection;
  log: Logger;
  attempts?: number;
}): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = reconciliationSubscription.topics.map((t) => topicName(topicPrefix, t));
    for (let n = 1; ; n++) {
      try {
        const lookedAt = Date.now();
        const read = await readToEnd(admin, consumerGroupId(topicPrefix, reconciliationSubscription.group), names);
        await projection.noteReadToEnd(read, lookedAt);
        return;
      } catch (err) {
        if (n >= attempts) throw err;
        log.warn({ attempt: n, err: (err as Error).message }, 'could not look at the partitions yet; asking again');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export type ReconciliationConsumer = {
  /** Before consuming: forgets flags a crash left in the outbox after Kafka had them, publishes the rest. */
  publishLeftovers(): Promise<void>;
  /**
   * Before consuming: tells the projection which partitions are read to their end and which
   * still hold records, so the clock waits for a backlog from the first batch on.
   */
  notePartitions(): Promise<void>;
  handle: BatchHandler;
  /** Once the consumer runs: moves the clock when the topics are quiet. */
  startIdleClock(): IdleClock;
};

/** Counts each new flag by kind and logs it. */
function flagRecorder(metrics: Registry, log: Logger): (flagged: readonly Mismatch[]) => void {
  const flaggedTotal = mismatchCounter(metrics);
  return (flagged) => {
    for (const m of flagged) {
      flaggedTotal.inc({ kind: m.kind });
      log.info({ kind: m.kind, transactionId: m.transactionId, saleId: m.saleId, partnerEventId: m.partnerEventId }, 'mismatch flagged');
    }
  };
}

function logClosed(log: Logger, resolved: readonly EventOf<'MismatchResolved'>[]): void {
  for (const r of resolved)
    log.info({ mismatchId: r.mismatchId, transactionId: r.transactionId, refundEventId: r.refundEventId }, 'refund closed a mismatch');
}

export function createReconciliationConsumer({
  kafka,
  codec,
  log,
  topicPrefix,
  projection,
  outbox,
  metrics,
}: {
  kafka: Kafka;
  codec: EventCodec;
  log: Logger;
  topicPrefix: string;
  projection: ReconciliationProjection;
  outbox: MismatchOutbox;
  metrics: Registry;
}): ReconciliationConsumer {
  const recLog = log.child({ consumer: 'reconciliation' });
  const record = flagRecorder(metrics, recLog);
  // Publishing failures must not fail the batch (it is applied; dead-lettering it would be wrong):
  // the flags wait in the outbox and the next tick publishes them.
  const publish = async () => {
    try {
      await outbox.drain();
    } catch (err) {
      recLog.warn({ err: (err as Error).message }, 'could not publish mismatches yet; they wait in the outbox');
    }
  };

  return {
    async publishLeftovers() {
      await forgetPublished({ kafka, codec, topicPrefix, outbox, log: recLog });
      await publish(); // flags recorded before a crash or a stop
    },
    notePartitions: () => notePartitions({ kafka, topicPrefix, projection, log: recLog }),
    async handle(batch) {
      // A payment the partner was answered 2xx for must be counted: only rows that do not fit
      // are the records' fault; Postgres down, restarting or refusing is waited out.
      const outcome = await projection
        .applyBatch(batch)
        .catch((err: unknown) => waitUnlessRecordsFault(err, 'reconciliation cannot write now'));
      const first = batch[0]?.position;
      recLog.debug({ ...first, events: outcome.events, applied: outcome.applied, flagged: outcome.flagged.length }, 'batch applied');
      record(outcome.flagged);
      logClosed(recLog, outcome.resolved);
      if (outcome.flagged.length || outcome.resolved.length) await publish();
    },
    startIdleClock: () =>
      startIdleClock({
        kafka,
        groupId: consumerGroupId(topicPrefix, reconciliationSubscription.group),
        topicPrefix,
        topics: reconciliationSubscription.topics,
        projection,
        log: recLog,
        onTick: async (flagged) => {
          record(flagged);
          await publish();
        },
      }),
  };
}
