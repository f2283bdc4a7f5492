// The transactions projection in PostgreSQL: one row per TransactionID holding its view,
// and a ledger of the events applied (eventId as primary key, with where each came from).
// Each batch locks the transactions it touches, reads their rows, adds the events their
// history does not hold yet with the domain's incremental fold (evolveView), and writes the
// changed rows and the new ledger entries in one statement, all in one database transaction.
// So it is idempotent (an event already in a row's history changes nothing), order-tolerant
// (the fold does not depend on order) and rebuildable (nothing depends on when it ran). A
// batch costs a fixed number of statements whatever its size: lock, read, write.
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import { type Db, fromEpochMs as ts, inTransaction } from '../../platform/postgres.js';
import {
  emptyView,
  evolveView,
  isTransactionEvent,
  type TransactionEvent,
  type TransactionView,
} from '../../domain/transactions/transaction.js';
import { migrateTransactionsSchema } from './schema.js';

export type BatchOutcome = {
  /** Transaction events in the batch (other events of the topics are not ours). */
  events: number;
  /** Of those, how many were new; the rest had been applied before. */
  applied: number;
  /** Rows written. */
  transactions: number;
};

export type TransactionsProjection = {
  migrate(): Promise<void>;
  applyBatch(batch: readonly Delivered[]): Promise<BatchOutcome>;
  read(transactionId: string): Promise<TransactionView | undefined>;
};

// Transactions of one TransactionID arrive from several topics, so two projection processes
// may hold events of the same transaction at once. Each locks the transactions it touches
// (sorted, so two batches cannot deadlock) before reading their rows, and so folds onto
// everything the other committed. Keys are salted with the schema: a replay into another
// schema never waits for the live projection.
const lockSql = `
select pg_advisory_xact_lock(hashtextextended(current_schema() || ':transaction:' || id, 0))
from (select distinct unnest($1::text[]) as id order by 1) ids`;

// One primary-key probe per transaction (`offset 0` keeps the planner from flattening the
// lateral into a join: on a fresh table, before autovacuum has analyzed it, the planner
// otherwise expects half the table to match and scans all of it on every batch).
const readSql = `
select t.* from unnest($1::text[]) as ids(id)
cross join lateral (select * from transactions where transaction_id = ids.id offset 0) t`;

// The new ledger entries and the changed rows, in one statement (a data-modifying CTE runs
// whether or not the outer statement reads it).
const writeSql = `
with ledger as (
  insert into transaction_events (event_id, transaction_id, type, occurred_at, topic, partition, "offset")
  select event_id, transaction_id, type, ${ts('occurred_at')}, topic, partition, "offset"
  from jsonb_to_recordset($1::jsonb) as r(event_id text, transaction_id text, type text, occurred_at bigint, topic text, partition int, "offset" bigint)
  on conflict (event_id) do nothing
)
insert into transactions (
  transaction_id, sale_id, user_id, status, reason, slot_ids, expires_at, quantity, expected_amount_minor,
  paid_amount_minor, refunded_amount_minor, payments, refunds, currency, history, last_event_at)
select
  transaction_id, sale_id, user_id, status, reason, slot_ids, ${ts('expires_at')}, quantity, expected_amount_minor,
  paid_amount_minor, refunded_amount_minor, payments, refunds, currency, history, ${ts('last_event_at')}
from jsonb_to_recordset($2::jsonb) as r(
  transaction_id text, sale_id text, user_id text, status text, reason text, slot_ids text[], expires_at bigint, quantity int,
  expected_amount_minor bigint, paid_amount_minor bigint, refunded_amount_minor bigint, payments int, refunds int,
  currency text, history jsonb, last_event_at bigint)
on conflict (transaction_id) do update set
  sale_id = excluded.sale_id, user_id = excluded.user_id, status = excluded.status, reason = excluded.reason,
  slot_ids = excluded.slot_ids, expires_at = excluded.expires_at, quantity = excluded.quantity,
  expected_amount_minor = excluded.expected_amount_minor, paid_amount_minor = excluded.paid_amount_minor,
  refunded_amount_minor = excluded.refunded_amount_minor, payments = excluded.payments, refunds = excluded.refunds,
  currency = excluded.currency, history = excluded.history, last_event_at = excluded.last_event_at`;

type TransactionRow = {
  transaction_id: string;
  sale_id: string | null;
  user_id: string | null;
  status: TransactionView['status'];
  reason: string | null;
  slot_ids: string[];
  expires_at: Date | null;
  quantity: number;
  expected_amount_minor: string | null;
  paid_amount_minor: string;
  refunded_amount_minor: string;
  payments: number;
  refunds: number;
  currency: string | null;
  history: TransactionView['history'];
};

function toRecord(view: TransactionView) {
  return {
    transaction_id: view.transactionId,
    sale_id: view.saleId,
    user_id: view.userId,
    status: view.status,
    reason: view.reason,
    slot_ids: view.slotIds,
    expires_at: view.expiresAt,
    quantity: view.quantity,
    expected_amount_minor: view.expectedAmountMinor,
    paid_amount_minor: view.paidAmountMinor,
    refunded_amount_minor: view.refundedAmountMinor,
    payments: view.payments,
    refunds: view.refunds,
    currency: view.currency,
    history: view.history,
    last_event_at: view.history.at(-1)?.at ?? 0,
  };
}

function fromRow(row: TransactionRow): TransactionView {
  return {
    transactionId: row.transaction_id,
    saleId: row.sale_id,
    userId: row.user_id,
    status: row.status,
    reason: row.reason,
    slotIds: row.slot_ids,
    expiresAt: row.expires_at?.getTime() ?? null,
    quantity: row.quantity,
    expectedAmountMinor: row.expected_amount_minor === null ? null : Number(row.expected_amount_minor),
    paidAmountMinor: Number(row.paid_amount_minor),
    refundedAmountMinor: Number(row.refunded_amount_minor),
    payments: row.payments,
    refunds: row.refunds,
    currency: row.currency,
    history: row.history,
  };
}

export function createTransactionsProjection({ db }: { db: Db }): TransactionsProjection {
  return {
    migrate: () => migrateTransactionsSchema(db),

    async applyBatch(batch) {
      const incoming = new Map<string, { event: TransactionEvent; position: Delivered['position'] }>();
      for (const { event, position } of batch) {
        if (isTransactionEvent(event) && !incoming.has(event.eventId)) incoming.set(event.eventId, { event, position });
      }
      if (incoming.size === 0) return { events: 0, applied: 0, transactions: 0 };
      const ids = [...new Set([...incoming.values()].map(({ event }) => event.transactionId))];

      return inTransaction(db, async (client) => {
        await client.query({ name: 'transactions-lock', text: lockSql, values: [ids] });
        const { rows } = await client.query<TransactionRow>({ name: 'transactions-read', text: readSql, values: [ids] });
        const views = new Map(rows.map((row) => [row.transaction_id, fromRow(row)]));
        const changed = new Set<string>();
        const ledger = [];
        for (const { event, position } of incoming.values()) {
          const before = views.get(event.transactionId) ?? emptyView(event.transactionId);
          const after = evolveView(before, event);
          if (after === before) continue; // already in its history: applied before
          views.set(event.transactionId, after);
          changed.add(event.transactionId);
          ledger.push({
            event_id: event.eventId,
            transaction_id: event.transactionId,
            type: event.type,
            occurred_at: event.occurredAt,
            topic: position.topic,
            partition: position.partition,
            offset: position.offset,
          });
        }
        if (ledger.length > 0) {
          const records = [...changed].map((id) => toRecord(views.get(id)!));
          await client.query({ name: 'transactions-write', text: writeSql, values: [JSON.stringify(ledger), JSON.stringify(records)] });
        }
        return { events: incoming.size, applied: ledger.length, transactions: changed.size };
      });
    },

    async read(transactionId) {
      const { rows } = await db.query<TransactionRow>('select * from transactions where transaction_id = $1', [transactionId]);
      return rows[0] ? fromRow(rows[0]) : undefined;
    },
  };
}
