// Reads a bounded range of catalog topics once, start to end, outside any consumer group's
// committed position: what an analyst's replay and audit need. Time bounds resolve to
// offsets per partition with the broker's offsets-for-times.
import crypto from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { type TopicName, topicName } from '../../schemas/topics.js';
import { classifyFailure } from '../errors.js';
import type { EventCodec } from '../registry/codec.js';
import type { Delivered } from './consumerRunner.js';

export type TopicRange = { topic: string; partition: number; start: number; end: number };

/** How far one partition has been read: the latest record time seen, and whether it is finished. */
export type PartitionProgress = { topic: string; partition: number; reachedTime: number; done: boolean };

export type ReadOptions = {
  kafka: Kafka;
  codec: EventCodec;
  topicPrefix: string;
  topics: readonly TopicName[];
  /** Epoch ms; records at or after it. Omitted: from the beginning. */
  from?: number;
  /** Epoch ms; records strictly before it. Omitted: up to the end as it is when the read starts. */
  to?: number;
  /** Each partition's batch in offset order (possibly empty: nothing of it in the window), with how far that partition has been read. */
  onBatch: (batch: Delivered[], read: PartitionProgress) => Promise<void> | void;
  onRanges?: (ranges: TopicRange[]) => void;
  /** Per "topic:partition", the first offset to read (a store catching up from its own positions); earlier offsets are skipped. */
  startOffsets?: ReadonlyMap<string, number>;
};

/**
 * The [start, end) offsets of each partition to scan for the time bounds. start is the
 * earliest offset at or after `from` (no earlier record is that late); end is the high
 * watermark now, since a record after the first one at `to` may still be earlier than `to`
 * when producers' clocks interleave. Records are then filtered by time, so the window is exact.
 */
export async function resolveRanges(kafka: Kafka, topics: string[], from?: number): Promise<TopicRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ranges: TopicRange[] = [];
    for (const topic of topics) {
      const bounds = await admin.fetchTopicOffsets(topic);
      const starts = from === undefined ? undefined : await admin.fetchTopicOffsetsByTimestamp(topic, from);
      for (const b of bounds) {
        const high = Number(b.high);
        // offsets-for-times answers -1 where no record is that late: the range then ends at the high watermark.
        const at = (list: typeof starts, fallback: number) => {
          const o = Number(list?.find((p) => p.partition === b.partition)?.offset ?? fallback);
          return o < 0 ? high : o;
        };
        ranges.push({ topic, partition: b.partition, start: at(starts, Number(b.low)), end: high });
      }
    }
    return ranges;
  } finally {
    await admin.disconnect();
  }
}

export async function readTopicRange(opts: ReadOptions): Promise<{ events: number; skipped: number }> {
  const names = opts.topics.map((t) => topicName(opts.topicPrefix, t));
  const ranges = (await resolveRanges(opts.kafka, names, opts.from))
    .map((r) => ({ ...r, start: Math.max(r.start, opts.startOffsets?.get(`${r.topic}:${r.partition}`) ?? r.start) }))
    .filter((r) => r.end > r.start);
  const inWindow = (timestamp: number) =>
    (opts.from === undefined || timestamp >= opts.from) && (opts.to === undefined || timestamp < opts.to);
  opts.onRanges?.(ranges);
  if (ranges.length === 0) return { events: 0, skipped: 0 };
  const pending = new Map(ranges.map((r) => [`${r.topic}:${r.partition}`, r]));
  // The next offset each partition still owes: a batch fetched before the seek took effect is
  // delivered again after it, and must not be counted twice.
  const next = new Map(ranges.map((r) => [`${r.topic}:${r.partition}`, r.start]));
  const consumer = opts.kafka.consumer({
    groupId: `flashsale-reader-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
    maxBytes: 20 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
  let events = 0;
  let skipped = 0;
  // Batches are handed to onBatch one at a time, in the order they arrive, but the next batch
  // is fetched and decoded while the handler works on this one (a replay's database write),
  // so the two overlap instead of taking turns. At most MAX_AHEAD batches wait their turn.
  const MAX_AHEAD = 2;
  let handled: Promise<void> = Promise.resolve();
  let waiting = 0;
  let failed = false;
  const done = new Promise<void>((resolve, reject) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const id = `${batch.topic}:${batch.partition}`;
        const range = pending.get(id);
        if (!range) return;
        const delivered: Delivered[] = [];
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset < (next.get(id) ?? range.start) || offset >= range.end) continue;
          next.set(id, offset + 1);
          if (!inWindow(Number(m.timestamp))) continue;
          const position = { topic: batch.topic, partition: batch.partition, offset: m.offset };
          try {
            delivered.push({ event: await opts.codec.decode(m.value), position, timestamp: Number(m.timestamp) });
          } catch (err) {
            // Bytes no schema reads: the live consumers dead-lettered this record too; a replay
            // skips it the same way. Anything else (the registry unreachable) says nothing about
            // the record: the read fails, and its caller (a rebuild retries) reads it again later.
            if (classifyFailure(err) !== 'permanent') {
              failed = true;
              reject(err instanceof Error ? err : new Error(String(err)));
              return;
            }
            skipped++;
          }
        }
        const reachedTime = batch.messages.reduce((t, m) => Math.max(t, Number(m.timestamp)), Number.NEGATIVE_INFINITY);
        const finished = (next.get(id) ?? 0) >= range.end;
        if (finished) {
          pending.delete(id);
          consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        }
        const last = pending.size === 0;
        waiting++;
        handled = handled.then(async () => {
          waiting--;
          if (failed) return;
          try {
            await opts.onBatch(delivered, { topic: batch.topic, partition: batch.partition, reachedTime, done: finished });
          } catch (err) {
            // The reader's caller decides what a failing batch means; the read stops here.
            failed = true;
            reject(err instanceof Error ? err : new Error('batch handler failed'));
            return;
          }
          events += delivered.length;
          if (last) resolve();
        });
        if (waiting >= MAX_AHEAD) await handled;
      },
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const r of ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.start) });
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return { events, skipped };
}
