// The tables of the transactions projection, created idempotently in the connection's
// search_path schema: `public` live, any other for an analyst's replay or a test.
// transactions holds one row per TransactionID, its view (history included: that is the
// dedupe); transaction_events is the ledger of the events applied, each once by eventId,
// with the record it came from. The events themselves stay on Kafka, the record of truth.
import { type Db, inTransaction } from '../../platform/postgres.js';

const ddl = `
create table if not exists transaction_events (
  event_id text primary key,
  transaction_id text not null,
  type text not null,
  occurred_at timestamptz not null,
  topic text not null,
  partition int not null,
  "offset" bigint not null
);
-- Tables from before the view was folded incrementally kept each event's body, to refold
-- from, and an index to find them by transaction: neither is read any more.
alter table transaction_events drop column if exists event;
drop index if exists transaction_events_by_transaction;

create table if not exists transactions (
  transaction_id text primary key,
  sale_id text,
  user_id text,
  status text not null check (status in ('entered', 'pending', 'granted', 'rejected', 'redirected', 'paid', 'expired', 'refunded')),
  reason text,
  slot_ids text[] not null,
  expires_at timestamptz,
  quantity int not null,
  expected_amount_minor bigint,
  paid_amount_minor bigint not null,
  refunded_amount_minor bigint not null,
  payments int not null,
  refunds int not null,
  currency text,
  history jsonb not null,
  last_event_at timestamptz not null
-- Every event of a transaction rewrites its row; free room in each page lets PostgreSQL
-- update in place (HOT) instead of writing a new tuple and new index entries each time.
) with (fillfactor = 70);
create index if not exists transactions_by_sale on transactions (sale_id);
`;

export async function migrateTransactionsSchema(db: Db): Promise<void> {
  await inTransaction(db, async (client) => {
    // Two processes starting at once would race on "if not exists" (a unique violation in
    // the catalog); the lock, per schema, makes the second wait and then find the tables.
    await client.query(`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':transactions-projection:migrate', 0))`);
    await client.query(ddl);
  });
}
