// An analyst's replay: rebuild every Postgres projection from the topics into a fresh
// schema with the same projection code the live system runs, then compare it with the live
// schema over the same range.
import type { Kafka } from 'kafkajs';
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import { readTopicRange, type TopicRange } from '../../platform/kafka/topicReader.js';
import { createDb, type Db } from '../../platform/postgres.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import type { ReplayableProjection } from '../../projections/replayable.js';
import { type TopicName, topicName } from '../../schemas/topics.js';
import { compareSchemas, type TableDifference, type Window } from './compareSchemas.js';
import { createLane } from './lane.js';
import { createTimeMerge } from './timeMerge.js';

const APPLY_SLICE = 2000;
/** Slices at once for a projection whose fold does not depend on order. */
const ORDER_FREE_PARALLEL = 2;

export type ReplayOptions = {
  kafka: Kafka;
  codec: EventCodec;
  databaseUrl: string;
  topicPrefix: string;
  liveSchema: string;
  intoSchema: string;
  projections: readonly ReplayableProjection[];
  window: Window;
  onRanges?: (total: number) => void;
  /** Called with the number of events each batch replayed. */
  onProgress?: (events: number) => void;
  /** How long to wait for the live projections to reach the replay's end offsets. */
  catchUpTimeoutMs?: number;
};

export type ReplayResult = { events: number; skipped: number; differences: TableDifference[]; liveBehind: string[] };

async function assertFresh(db: Db, schema: string, live: string): Promise<void> {
  if (schema === live) throw new Error(`--into ${schema} is the live schema; replay into a fresh one`);
  const { rows } = await db.query<{ n: string }>('select count(*) as n from information_schema.tables where table_schema = $1', [schema]);
  if (Number(rows[0]?.n ?? 0) > 0) throw new Error(`schema ${schema} already has tables; replay into a fresh schema (or drop it first)`);
}

/** Waits until each live consumer group has committed past the replay's end offsets; returns the groups still behind. */
async function waitForLive({
  kafka,
  projections,
  prefix,
  ranges,
  timeoutMs,
}: {
  kafka: Kafka;
  projections: readonly ReplayableProjection[];
  prefix: string;
  ranges: TopicRange[];
  timeoutMs: number;
}): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    let behind: string[] = [];
    do {
      behind = [];
      for (const p of projections) {
        const groupId = p.liveGroupId(prefix);
        const committed = await admin.fetchOffsets({ groupId, topics: [...new Set(ranges.map((r) => r.topic))] });
        const at = new Map(committed.flatMap((t) => t.partitions.map((q) => [`${t.topic}:${q.partition}`, Number(q.offset)] as const)));
        const relevant = ranges.filter((r) => p.topics.some((t) => r.topic === topicName(prefix, t)));
        const lagging = relevant.filter((r) => (at.get(`${r.topic}:${r.partition}`) ?? -1) < r.end);
        if (lagging.length)
          behind.push(
            `${groupId} at ${lagging.map((r) => `${r.topic}[${r.partition}] ${at.get(`${r.topic}:${r.partition}`) ?? -1}/${r.end}`).join(', ')}`,
          );
      }
      if (behind.length === 0) return [];
      await new Promise((r) => setTimeout(r, 200));
    } while (Date.now() < deadline);
    return behind;
  } finally {
    await admin.disconnect();
  }
}

export async function replayProjections(opts: ReplayOptions): Promise<ReplayResult> {
  const admin = createDb(opts.databaseUrl, 'public', 2);
  const into = createDb(opts.databaseUrl, opts.intoSchema, 4);
  try {
    await assertFresh(admin, opts.intoSchema, opts.liveSchema);
    await admin.query(`create schema ${opts.intoSchema}`);
    for (const p of opts.projections) await p.migrate(into);

    const topics = [...new Set(opts.projections.flatMap((p) => p.topics))] as TopicName[];
    let ranges: TopicRange[] = [];
    let merge: ReturnType<typeof createTimeMerge> | undefined;
    // Each projection folds its slices on its own lane (in order, unless it is order-free);
    // the lanes run side by side (they write different tables) and reading goes on while
    // they work. Measured on the bench's history: one projection after the other left a
    // core idle.
    const lanes = opts.projections.map((p) => ({
      topics: new Set(p.topics.map((t) => topicName(opts.topicPrefix, t))),
      lane: createLane((batch) => p.applyBatch(into, batch), p.orderFree ? ORDER_FREE_PARALLEL : 1),
    }));
    const apply = async (events: Delivered[]) => {
      for (const { topics: mine, lane } of lanes) {
        const batch = events.filter((d) => mine.has(d.position.topic));
        if (batch.length) await lane.submit(batch);
      }
      opts.onProgress?.(events.length);
    };
    const { events, skipped } = await readTopicRange({
      kafka: opts.kafka,
      codec: opts.codec,
      topicPrefix: opts.topicPrefix,
      topics,
      ...(opts.window.from === undefined ? {} : { from: opts.window.from }),
      ...(opts.window.to === undefined ? {} : { to: opts.window.to }),
      onRanges: (r) => {
        ranges = r;
        merge = createTimeMerge(r);
        opts.onRanges?.(r.reduce((n, x) => n + x.end - x.start, 0));
      },
      onBatch: async (batch, read) => {
        const ready = merge?.push(batch, read) ?? batch;
        // Applied in slices, so one projection's batch stays a bounded database round trip.
        for (let at = 0; at < ready.length; at += APPLY_SLICE) await apply(ready.slice(at, at + APPLY_SLICE));
      },
    });

    for (const { lane } of lanes) await lane.drain();
    for (const p of opts.projections) await p.finish?.(into, opts.window);
    const liveBehind = await waitForLive({
      kafka: opts.kafka,
      projections: opts.projections,
      prefix: opts.topicPrefix,
      ranges,
      timeoutMs: opts.catchUpTimeoutMs ?? 30_000,
    });
    const differences: TableDifference[] = [];
    for (const p of opts.projections)
      differences.push(
        ...(await compareSchemas(admin, { live: opts.liveSchema, replay: opts.intoSchema, tables: p.tables, window: opts.window })),
      );
    return { events, skipped, differences, liveBehind };
  } finally {
    await into.end();
    await admin.end();
  }
}
