// The transactions projection against the real PostgreSQL: idempotent, order-tolerant,
// safe with two writers, each row equal to the pure fold of its events.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TransactionEvent, viewOf } from '../../../domain/transactions/transaction.js';
import { loadConfig } from '../../../platform/config.js';
import { createDb } from '../../../platform/postgres.js';
import { createTransactionsProjection, type TransactionsProjection } from '../../../projections/transactions/projection.js';
import { delivered, openFreshSchema } from '../../support/projectionDb.js';
import { sampleEvents } from '../../support/sampleEvents.js';
import { newStory, story, storyArbitrary } from '../../support/transactionStory.js';

let fresh: Awaited<ReturnType<typeof openFreshSchema>>;
let projection: TransactionsProjection;

beforeAll(async () => {
  fresh = await openFreshSchema('txproj');
  projection = createTransactionsProjection({ db: fresh.db });
  await projection.migrate();
});
afterAll(async () => {
  await fresh.drop();
});

const tableRows = async () =>
  (await fresh.db.query('select * from transactions order by transaction_id')).rows as Record<string, unknown>[];

describe('the transactions projection', () => {
  it('creates its tables idempotently, also when two processes start at once', async () => {
    const other = createTransactionsProjection({ db: createDb(loadConfig().databaseUrl, fresh.schema) });
    await Promise.all([projection.migrate(), other.migrate(), projection.migrate()]);
  });

  it('writes one row per transaction and changes nothing when a batch is applied again', async () => {
    const s = newStory();
    const b = story(s);
    const batch = delivered([b.entered(), b.requested(), b.granted(), b.redirected(), b.paid()]);
    expect(await projection.applyBatch(batch)).toEqual({ events: 5, applied: 5, transactions: 1 });
    const before = await tableRows();
    expect(await projection.applyBatch(batch)).toEqual({ events: 5, applied: 0, transactions: 0 });
    expect(await tableRows()).toEqual(before);
    expect(await projection.read(s.transactionId)).toMatchObject({ status: 'paid', paidAmountMinor: 1999, payments: 1 });
  });

  it('ignores the events of its topics that speak of no transaction', async () => {
    const { SaleScheduled, SaleClosed } = sampleEvents('sale-ignored');
    expect(await projection.applyBatch(delivered([SaleScheduled, SaleClosed]))).toEqual({ events: 0, applied: 0, transactions: 0 });
  });

  it('ends with the same row for every order and batching of a transaction’s events', async () => {
    const scenario = fc
      .uuid()
      .chain((transactionId) => storyArbitrary(newStory({ transactionId })))
      .chain((events) =>
        fc.record({
          events: fc.constant(events),
          order: fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
          cuts: fc.array(fc.nat({ max: events.length }), { maxLength: 4 }),
          repeat: fc.boolean(),
        }),
      );
    await fc.assert(
      fc.asyncProperty(scenario, async ({ events, order, cuts, repeat }) => {
        const bounds = [0, ...[...new Set(cuts)].sort((a, b) => a - b), order.length];
        for (let i = 0; i + 1 < bounds.length; i++) {
          const slice = order.slice(bounds[i], bounds[i + 1]);
          await projection.applyBatch(delivered(slice));
          if (repeat) await projection.applyBatch(delivered(slice));
        }
        const transactionId = events[0]!.transactionId;
        expect(await projection.read(transactionId)).toEqual(viewOf(transactionId, events));
      }),
      { numRuns: 60 },
    );
  });

  it('computes from every event when two writers apply events of the same transactions at once', async () => {
    const second = createTransactionsProjection({ db: createDb(loadConfig().databaseUrl, fresh.schema, 5) });
    const stories = Array.from({ length: 150 }, () => newStory());
    const all = stories.map((s) => {
      const b = story(s);
      return [b.entered(), b.requested(), b.granted(), b.redirected(), b.paid(), b.refunded()];
    });
    // Each writer gets half of each transaction's events, in small batches, as two projection
    // processes would when a transaction's topics are split between them.
    const half = (k: 0 | 1) => all.flatMap((events) => events.filter((_, i) => i % 2 === k));
    const run = async (p: TransactionsProjection, events: TransactionEvent[]) => {
      for (let i = 0; i < events.length; i += 5) await p.applyBatch(delivered(events.slice(i, i + 5)));
    };
    await Promise.all([run(projection, half(0)), run(second, half(1))]);
    for (const [i, s] of stories.entries()) expect(await projection.read(s.transactionId)).toEqual(viewOf(s.transactionId, all[i]!));
  });
});
