// Moves reconciliation's event-time clock when the topics are quiet. Once the consumer group
// has committed every partition to its end (committed means applied, or dead-lettered),
// nothing older than "now" can still arrive, except an event a producer stamped before we
// looked and had acknowledged after: the allowance covers that. Without this, the last
// unmatched payment of a quiet night would wait for tomorrow's traffic. Every tick also tells
// the projection which partitions are read to their end and which still hold records: the
// frontier that holds the clock back while one partition lags behind the others.
import type { Admin, Kafka } from 'kafkajs';
import type { Mismatch } from '../../domain/reconciliation/mismatch.js';
import type { Logger } from '../../platform/log.js';
import type { ReconciliationProjection } from '../../projections/reconciliation/projection.js';
import { IN_FLIGHT_ALLOWANCE_MS } from '../../projections/reconciliation/subscription.js';
import { type TopicName, topicName } from '../../schemas/topics.js';

export type IdleClock = { stop(): Promise<void> };

/** A partition as the idle clock saw it: its end (high watermark), and whether the group had committed it to there. */
export type PartitionRead = { topic: string; partition: number; complete: boolean; high: string };

/** For every partition of these topics, whether the group has committed it to its end. */
export async function readToEnd(admin: Admin, groupId: string, names: readonly string[]): Promise<PartitionRead[]> {
  const committed = new Map(
    (await admin.fetchOffsets({ groupId, topics: [...names] })).flatMap((t) =>
      t.partitions.map((p) => [`${t.topic}:${p.partition}`, BigInt(p.offset)] as const),
    ),
  );
  const read: PartitionRead[] = [];
  for (const topic of names)
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const at = committed.get(`${topic}:${p.partition}`) ?? -1n;
      // Nothing committed yet is caught up only where there is nothing to read.
      read.push({ topic, partition: p.partition, complete: (at < 0n ? BigInt(p.low) : at) >= BigInt(p.high), high: p.high });
    }
  return read;
}

export function startIdleClock({
  kafka,
  groupId,
  topicPrefix,
  topics,
  projection,
  log,
  onTick,
  intervalMs = 1_000,
  allowanceMs = IN_FLIGHT_ALLOWANCE_MS,
  now = Date.now,
}: {
  kafka: Kafka;
  /** The consumer group whose committed offsets say how far the projection has come. */
  groupId: string;
  topicPrefix: string;
  topics: readonly TopicName[];
  projection: Pick<ReconciliationProjection, 'advanceClock' | 'noteReadToEnd'>;
  log: Logger;
  /** Called after every tick with what it flagged (often nothing): the consumer publishes from here. */
  onTick: (flagged: Mismatch[]) => Promise<void>;
  intervalMs?: number;
  allowanceMs?: number;
  now?: () => number;
}): IdleClock {
  const names = topics.map((t) => topicName(topicPrefix, t));
  let admin: Admin | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const lookedAt = now();
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    const read = await readToEnd(admin, groupId, names);
    await projection.noteReadToEnd(read, lookedAt);
    // Caught up: to "now" less the allowance. Either way, as far as the frontier now lets the events applied move it.
    const flagged = await projection.advanceClock(read.every((p) => p.complete) ? lookedAt - allowanceMs : Number.NEGATIVE_INFINITY);
    await onTick(flagged ?? []);
  }

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      inFlight = tick()
        .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'reconciliation clock tick failed; retrying'))
        .finally(schedule);
    }, intervalMs);
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await admin?.disconnect();
    },
  };
}
