// The projector killed between its database commit and its offset commit: the restarted
// one gets the same batch again, and no row counts anything twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TransactionEvent, viewOf } from '../../../domain/transactions/transaction.js';
import { consumerGroupId } from '../../../platform/kafka/groupId.js';
import { transactionsSubscription } from '../../../projections/transactions/consumer.js';
import { createTransactionsProjection } from '../../../projections/transactions/projection.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { openFreshSchema } from '../../support/projectionDb.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { newStory, story } from '../../support/transactionStory.js';
import { waitFor } from '../../support/waitFor.js';

let stack: TestStack;
let fresh: Awaited<ReturnType<typeof openFreshSchema>>;
const children: Child[] = [];

beforeAll(async () => {
  stack = await openTestStack('txcrash');
  fresh = await openFreshSchema('txcrash');
});
afterAll(async () => {
  for (const c of children) await c.stop();
  await stack?.close();
  await fresh?.drop();
});

function projector(env: Record<string, string> = {}): Child {
  const child = runChild('test/support/transactionsProjectorProcess.ts', {
    TOPIC_PREFIX: stack.prefix,
    TEST_DB_SCHEMA: fresh.schema,
    // The next projector takes the partitions once the dead one's session ends: 10 s, not the default 30 s.
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    ...env,
  });
  children.push(child);
  return child;
}

describe('the transactions projector after a crash', () => {
  it('does not double-count a batch it wrote but had not committed when it was killed', async () => {
    const stories = Array.from({ length: 24 }, (_, i) => newStory({ saleId: `sale-${i % 4}`, priceMinor: 1000 + i }));
    const events: TransactionEvent[] = stories.flatMap((s) => {
      const b = story(s);
      return [b.entered(), b.requested(), b.granted(), b.redirected(), b.paid()];
    });
    await stack.publisher.publish(events);

    const first = projector({ CRASH_AFTER_BATCH_WITH: 'PartnerPaymentReported' });
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    const crashed = first.lines.at(-2)!;
    expect(crashed).toMatchObject({ topic: `${stack.prefix}.flashsale.partner-events` });
    expect(crashed.applied).toBeGreaterThan(0);

    // The batch is in the database, but its offsets were never committed.
    const admin = stack.kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({
      groupId: consumerGroupId(stack.prefix, transactionsSubscription.group),
      topics: [String(crashed.topic)],
    });
    await admin.disconnect();
    const at = committed[0]!.partitions.find((p) => p.partition === crashed.partition)!;
    expect(Number(at.offset)).toBeLessThanOrEqual(Number(crashed.firstOffset));

    const second = projector();
    await second.line((l) => l.topic === crashed.topic && l.partition === crashed.partition && l.firstOffset === crashed.firstOffset);
    const redelivered = second.lines.find((l) => l.topic === crashed.topic && l.partition === crashed.partition)!;
    expect(redelivered).toMatchObject({ events: crashed.events, applied: 0, transactions: 0 });

    const projection = createTransactionsProjection({ db: fresh.db });
    await waitFor(
      async () => {
        const { rows } = await fresh.db.query<{ n: string }>('select count(*) as n from transaction_events');
        return Number(rows[0]!.n) === events.length;
      },
      { timeoutMs: 90_000, what: 'every event projected' },
    );
    for (const s of stories) {
      const row = await projection.read(s.transactionId);
      expect(row).toEqual(
        viewOf(
          s.transactionId,
          events.filter((e) => e.transactionId === s.transactionId),
        ),
      );
      expect(row).toMatchObject({ status: 'paid', payments: 1, paidAmountMinor: s.priceMinor });
    }
  });
});
