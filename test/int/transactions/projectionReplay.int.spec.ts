// The transactions projection is rebuildable: drop its tables, replay the topics from the
// beginning, and the same rows come back; replayed into another schema, the same again.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TransactionEvent, viewOf } from '../../../domain/transactions/transaction.js';
import type { ConsumerRunner, Delivered } from '../../../platform/kafka/consumerRunner.js';
import { readTopicRange } from '../../../platform/kafka/topicReader.js';
import type { Db } from '../../../platform/postgres.js';
import { transactionsSubscription } from '../../../projections/transactions/consumer.js';
import { startTransactionsProjector } from '../../../runtime/roles/projections.js';
import { createTransactionsProjection } from '../../../projections/transactions/projection.js';
import { openFreshSchema } from '../../support/projectionDb.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { newStory, storyArbitrary } from '../../support/transactionStory.js';
import { waitFor } from '../../support/waitFor.js';

const TRANSACTIONS = 1500;

let stack: TestStack;
let live: Awaited<ReturnType<typeof openFreshSchema>>;
let events: TransactionEvent[];
const runners: ConsumerRunner[] = [];

beforeAll(async () => {
  stack = await openTestStack('txreplay');
  live = await openFreshSchema('txreplay');
  // Every shape a transaction's life can take, over a few sales, shuffled so that a
  // transaction's events reach the topics (and so the projector) in any order.
  const lives = Array.from(
    { length: TRANSACTIONS },
    (_, i) => fc.sample(storyArbitrary(newStory({ saleId: `sale-${i % 7}`, priceMinor: 500 + i })), { numRuns: 1, seed: i })[0]!,
  );
  events = fc.sample(fc.shuffledSubarray(lives.flat(), { minLength: lives.flat().length }), { numRuns: 1, seed: 42 })[0]!;
  for (let i = 0; i < events.length; i += 500) await stack.publisher.publish(events.slice(i, i + 500));
});
afterAll(async () => {
  for (const r of runners) await r.stop();
  await stack?.close();
  await live?.drop();
});

async function project(db: Db, group: string): Promise<number> {
  const started = Date.now();
  const projection = createTransactionsProjection({ db });
  await projection.migrate();
  const runner = await startTransactionsProjector({
    kafka: stack.kafka,
    codec: stack.codec,
    log: stack.log,
    topicPrefix: stack.prefix,
    projection,
    group,
  });
  runners.push(runner);
  await waitFor(
    async () => Number((await db.query<{ n: string }>('select count(*) as n from transaction_events')).rows[0]!.n) === events.length,
    { timeoutMs: 120_000, what: 'every event projected' },
  );
  await runner.stop();
  runners.splice(runners.indexOf(runner), 1);
  return Date.now() - started;
}

const snapshot = async (db: Db) => ({
  transactions: (await db.query('select * from transactions order by transaction_id')).rows,
  events: (await db.query('select * from transaction_events order by event_id')).rows,
});

describe('rebuilding the transactions projection', () => {
  it('reproduces every row exactly after dropping the tables and replaying the topics', async () => {
    const firstMs = await project(live.db, 'replay-test-1');
    const before = await snapshot(live.db);
    expect(before.transactions).toHaveLength(TRANSACTIONS);

    await live.db.query('drop table transactions, transaction_events');
    const secondMs = await project(live.db, 'replay-test-2');
    expect(await snapshot(live.db)).toEqual(before);

    const projection = createTransactionsProjection({ db: live.db });
    const byTransaction = new Map<string, TransactionEvent[]>();
    for (const e of events) byTransaction.set(e.transactionId, [...(byTransaction.get(e.transactionId) ?? []), e]);
    for (const [id, own] of byTransaction) expect(await projection.read(id)).toEqual(viewOf(id, own));
    console.info(
      `transactions projection through the consumer: ${events.length} events, ${TRANSACTIONS} transactions; ` +
        `first build ${firstMs} ms, rebuild ${secondMs} ms (${Math.round(events.length / (secondMs / 1000))} events/s, group join included)`,
    );
  });

  it('replays into another schema with large batches, to the same rows', async () => {
    const other = await openFreshSchema('txreplay-into');
    try {
      const projection = createTransactionsProjection({ db: other.db });
      await projection.migrate();
      const timings: { size: number; ms: number }[] = [];
      await readTopicRange({
        kafka: stack.kafka,
        codec: stack.codec,
        topicPrefix: stack.prefix,
        topics: transactionsSubscription.topics,
        onBatch: async (batch: Delivered[]) => {
          const started = performance.now();
          await projection.applyBatch(batch);
          timings.push({ size: batch.length, ms: performance.now() - started });
        },
      });
      expect(await snapshot(other.db)).toEqual(await snapshot(live.db));
      const total = timings.reduce((a, t) => ({ size: a.size + t.size, ms: a.ms + t.ms }), { size: 0, ms: 0 });
      console.info(
        `applyBatch: ${timings.length} batches, ${total.size} events, mean ${Math.round(total.size / timings.length)} events/batch, ` +
          `${(total.ms / timings.length).toFixed(1)} ms/batch, ${Math.round(total.size / (total.ms / 1000))} events/s in the database`,
      );
    } finally {
      await other.drop();
    }
  });
});
