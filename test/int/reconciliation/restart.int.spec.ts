// The reconciliation process killed mid-stream (SIGKILL: no goodbye, no commit) and started
// again on the same consumer group and database: no mismatch is flagged twice, in Postgres
// or on the topic, and none is missed.
import { afterAll, describe, expect, it } from 'vitest';
import { type Mismatch, mismatchId, toMismatchFlagged } from '../../../domain/reconciliation/mismatch.js';
import { createDb, type Db, ensureSchema } from '../../../platform/postgres.js';
import { createReconciliationProjection } from '../../../projections/reconciliation/projection.js';
import { insertOutboxSql } from '../../../projections/reconciliation/store.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { generateScenario } from '../../support/reconciliationScenario.js';
import {
  countByKind,
  flagKey,
  flagRows,
  laterSale,
  progress,
  publishedFlags,
  publishInChunks,
  waitCaughtUp,
} from '../../support/reconciliationStack.js';
import { waitFor } from '../../support/waitFor.js';

const GRACE_SECONDS = 900;

let stack: TestStack;
let db: Db;
let schema: string;
const children: Child[] = [];
const opened: { stack: TestStack; db: Db }[] = [];

/** A fresh topic prefix and database schema: the next test's own slice of the stack. */
async function freshSlice(label: string): Promise<void> {
  stack = await openTestStack(label);
  schema = stack.prefix.replace(/[^a-z0-9]/g, '_');
  const admin = createDb(stack.config.databaseUrl);
  await ensureSchema(admin, schema);
  await admin.end();
  db = createDb(stack.config.databaseUrl, schema);
  opened.push({ stack, db });
}

afterAll(async () => {
  for (const c of children) await c.stop();
  for (const o of opened) {
    await o.db.end();
    await o.stack.close();
  }
});

function startReconciliation(): Child {
  const child = runChild('test/support/reconciliationProcess.ts', {
    TOPIC_PREFIX: stack.prefix,
    TEST_DB_SCHEMA: schema,
    RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS),
    // The next process takes the partitions once the dead one's session ends: 10 s, not the default 30 s.
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  });
  children.push(child);
  return child;
}

describe('reconciliation restarted mid-stream', () => {
  it('flags nothing twice and misses nothing when its process is killed and started again', async () => {
    await freshSlice('recon-restart');
    const s = generateScenario({ seed: 7, transactions: 3000, faultsPerKind: 20, startAt: Date.now() + 10 * 60_000 });
    const rest = [...s.ours, ...s.partner.filter((e) => !s.early.includes(e))].sort((a, b) => a.occurredAt - b.occurredAt);
    const events = [...s.early, ...rest];
    const half = Math.floor(events.length / 2);

    const first = startReconciliation();
    await first.line((l) => l.ready === true);
    await publishInChunks(stack.publisher, events.slice(0, half), 250);
    // Kill it while it is working through the first half, with some flags already raised.
    await waitFor(async () => (await flagRows(db)).length >= 10 || undefined, { timeoutMs: 60_000, intervalMs: 10, what: 'ten flags' });
    first.process.kill('SIGKILL');
    await first.exited;
    const atKill = await progress(stack.kafka, db, stack.prefix);
    const flagsAtKill = (await flagRows(db)).length;

    // The rest of the stream arrives while it is down; a new process takes over the group.
    await publishInChunks(stack.publisher, events.slice(half), 250);
    const second = startReconciliation();
    await second.line((l) => l.ready === true);
    await waitCaughtUp(stack.kafka, db, stack.prefix, 120_000);
    await stack.publisher.publish([laterSale(s.lastAt + GRACE_SECONDS * 1000 + 1000)]);
    await waitCaughtUp(stack.kafka, db, stack.prefix);

    const found = await flagRows(db);
    const planted = new Set(s.planted.map(flagKey));
    const foundKeys = new Set(found.map(flagKey));
    const missed = s.planted.filter((p) => !foundKeys.has(flagKey(p)));
    const invented = found.filter((f) => !planted.has(flagKey(f)));
    const published = await waitFor(
      async () => {
        const records = await publishedFlags(stack.kafka, stack.codec, stack.prefix);
        return records.length >= found.length ? records : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every flag on the reconciliation topic' },
    );
    const distinct = new Set(published.map((e) => e.eventId));
    console.log(
      `restart: killed at ${atKill.applied}/${events.length} records applied with ${flagsAtKill} flags; ` +
        `planted ${s.planted.length} ${JSON.stringify(countByKind(s.planted))}; found ${found.length}; missed ${missed.length}, invented ${invented.length}; ` +
        `published ${published.length} records, ${distinct.size} distinct`,
    );
    expect(atKill.applied).toBeLessThan(events.length);
    expect(flagsAtKill).toBeLessThan(s.planted.length);
    expect(missed).toEqual([]);
    expect(invented).toEqual([]);
    expect(published).toHaveLength(found.length);
    expect([...distinct].sort()).toEqual(found.map((f) => f.mismatch_id).sort());
  });

  it('does not publish again a flag that reached Kafka just before the crash, and publishes the one that did not', async () => {
    await freshSlice('recon-outbox');
    const projection = createReconciliationProjection({ db });
    await projection.migrate();
    const flag = (tx: string): Mismatch => ({
      mismatchId: mismatchId('unknown_transaction', tx, `demo-pay:${tx}`),
      kind: 'unknown_transaction',
      transactionId: tx,
      saleId: null,
      partnerEventId: `demo-pay:${tx}`,
      expected: null,
      actual: { quantity: 1, amountMinor: 100, currency: 'EUR' },
      detectedAt: Date.now() - 60_000,
    });
    // The state a crash leaves: both flags in the outbox, the first one already acknowledged by Kafka.
    const [sent, unsent] = [flag('tx-sent'), flag('tx-unsent')];
    await stack.publisher.publish([toMismatchFlagged(sent)]);
    await db.query(insertOutboxSql, [
      JSON.stringify([sent, unsent].map((m) => ({ mismatch_id: m.mismatchId, event: toMismatchFlagged(m) }))),
    ]);

    const child = startReconciliation();
    await child.line((l) => l.ready === true);
    await waitFor(async () => Number((await db.query<{ n: string }>('select count(*) as n from reconciliation_outbox')).rows[0]?.n) === 0, {
      what: 'the outbox to empty',
    });
    const published = await publishedFlags(stack.kafka, stack.codec, stack.prefix);
    expect(published.map((e) => e.eventId).sort()).toEqual([sent.mismatchId, unsent.mismatchId].sort());
  });
});
