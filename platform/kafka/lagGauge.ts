// Consumer lag per group and partition, for the operations port: how many records each
// partition this process consumes still has to handle. Computed cheaply: the position is the
// consumer's own (the offset after the last record it handled, or the group's committed
// offset where it has handled nothing yet), and the end of each partition is the high
// watermark its fetches bring back, refreshed with one admin request per topic at most every
// LAG_REFRESH_MS when Prometheus scrapes (an idle or paused partition fetches nothing).
import type { Admin, Kafka } from 'kafkajs';
import { Gauge, type Registry } from 'prom-client';

export const LAG_REFRESH_MS = 5_000;

export type PartitionLag = { topic: string; partition: number; lag: number };

export type LagSource = { group: string; lags(): Promise<PartitionLag[]> };

const sourcesByRegistry = new WeakMap<Registry, Set<LagSource>>();

/** Adds a consumer's lag to the registry's `flashsale_consumer_lag` gauge; the returned function takes it off. */
export function registerLagSource(metrics: Registry, source: LagSource): () => void {
  let sources = sourcesByRegistry.get(metrics);
  if (!sources) {
    const known = new Set<LagSource>();
    sources = known;
    sourcesByRegistry.set(metrics, known);
    new Gauge({
      name: 'flashsale_consumer_lag',
      help: 'Records a consumer group of this process still has to handle, per topic and partition it is assigned',
      labelNames: ['group', 'topic', 'partition'],
      registers: [metrics],
      async collect() {
        this.reset();
        for (const s of known) {
          for (const l of await s.lags().catch(() => []))
            this.set({ group: s.group, topic: l.topic, partition: String(l.partition) }, l.lag);
        }
      },
    });
  }
  sources.add(source);
  return () => sources.delete(source);
}

type Mark = { low: number; high: number; committed: number; handled: number };

/** One consumer's view of its partitions: fed by the runner, read by the gauge. */
export function createPartitionPositions({
  kafka,
  groupId,
  topics,
  refreshMs = LAG_REFRESH_MS,
  now = Date.now,
}: {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  refreshMs?: number;
  now?: () => number;
}) {
  const marks = new Map<string, Mark>();
  let assigned: { topic: string; partition: number }[] = [];
  let admin: Admin | undefined;
  let refreshedAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  const key = (topic: string, partition: number) => `${topic}:${partition}`;
  const markOf = (topic: string, partition: number): Mark => {
    let mark = marks.get(key(topic, partition));
    if (!mark) {
      mark = { low: 0, high: 0, committed: -1, handled: -1 };
      marks.set(key(topic, partition), mark);
    }
    return mark;
  };

  async function refresh(): Promise<void> {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
    for (const t of committed) for (const p of t.partitions) markOf(t.topic, p.partition).committed = Number(p.offset);
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const mark = markOf(topic, p.partition);
        mark.low = Number(p.low);
        mark.high = Math.max(mark.high, Number(p.high));
      }
    }
  }

  return {
    /** The partitions the group gave this member (kafkajs's GROUP_JOIN memberAssignment). */
    assigned(assignment: Record<string, number[]>): void {
      assigned = Object.entries(assignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })));
    },
    /** A batch was handled up to `nextOffset` (exclusive); `highWatermark` came with its fetch. */
    handled(topic: string, partition: number, nextOffset: number, highWatermark: number): void {
      const mark = markOf(topic, partition);
      mark.handled = Math.max(mark.handled, nextOffset);
      mark.high = Math.max(mark.high, highWatermark);
    },
    async lags(): Promise<PartitionLag[]> {
      if (now() - refreshedAt >= refreshMs) {
        refreshedAt = now();
        refreshing ??= refresh().finally(() => (refreshing = undefined));
      }
      // A failed refresh keeps the last figures: the scrape still answers.
      if (refreshing) await refreshing.catch(() => undefined);
      return assigned.map(({ topic, partition }) => {
        const m = markOf(topic, partition);
        // Nothing committed and nothing handled: the group owes everything from the log start.
        const position = Math.max(m.handled, m.committed < 0 ? m.low : m.committed);
        return { topic, partition, lag: Math.max(0, m.high - position) };
      });
    },
    async close(): Promise<void> {
      await admin?.disconnect().catch(() => undefined);
    },
  };
}
