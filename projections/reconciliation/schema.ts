// The reconciliation tables, created idempotently in the connection's search_path schema:
// `public` live, any other for an analyst's replay or a test. State (sales, transactions,
// partner events, the clock, the positions applied) and flags live side by side, written in
// one database transaction per batch.
import { type Db, inTransaction } from '../../platform/postgres.js';
import { resolutionsDdl } from './resolutions.js';
import { settlementRunsDdl } from './settlementIntake.js';

const ddl = `
create table if not exists reconciliation_clock (
  id boolean primary key default true check (id),
  watermark timestamptz not null
);
insert into reconciliation_clock (id, watermark) values (true, to_timestamp(0)) on conflict do nothing;

create table if not exists reconciliation_positions (
  topic text not null,
  partition int not null,
  next_offset bigint not null,
  primary key (topic, partition)
);
-- How far each partition is known to be read (the live clock's frontier, projection.ts): the
-- latest event time applied from it, and the idle clock's last looks (when it last saw the
-- partition read to its end; if the latest look found records still to read, where it ended then).
alter table reconciliation_positions add column if not exists reached_at timestamptz;
alter table reconciliation_positions add column if not exists read_to_end_at timestamptz;
alter table reconciliation_positions add column if not exists unread_until bigint;

create table if not exists reconciliation_sales (
  sale_id text primary key,
  partner_id text not null,
  starts_at timestamptz not null,
  ends_at timestamptz not null,
  reservation_seconds int not null,
  price_minor bigint not null,
  currency text not null
);
create index if not exists reconciliation_sales_by_partner on reconciliation_sales (partner_id);

create table if not exists reconciliation_transactions (
  transaction_id text primary key,
  sale_id text,
  granted_at timestamptz,
  granted_quantity int,
  granted_amount_minor bigint,
  granted_currency text,
  redirected_at timestamptz,
  released_at timestamptz,
  release_reason text,
  settled_by text
);
create index if not exists reconciliation_transactions_by_sale on reconciliation_transactions (sale_id);

create table if not exists reconciliation_partner_events (
  event_id text primary key,
  partner_id text not null,
  partner_event_id text not null,
  transaction_id text not null,
  kind text not null check (kind in ('payment', 'refund')),
  quantity int not null,
  amount_minor bigint not null,
  currency text not null,
  reported_at timestamptz not null,
  received_at timestamptz not null,
  sale_id text,
  resolved_at timestamptz
);
create index if not exists reconciliation_partner_events_by_transaction on reconciliation_partner_events (transaction_id);
create index if not exists reconciliation_partner_events_by_sale on reconciliation_partner_events (sale_id);
create index if not exists reconciliation_partner_events_by_partner_id on reconciliation_partner_events (partner_id, partner_event_id);
create index if not exists reconciliation_partner_events_held on reconciliation_partner_events (received_at) where resolved_at is null;

-- Stream flags: the primary key is the deterministic mismatch id, so a flag is recorded once.
create table if not exists reconciliation_mismatches (
  mismatch_id text primary key,
  kind text not null,
  transaction_id text not null,
  sale_id text,
  partner_event_id text,
  expected jsonb,
  actual jsonb,
  detected_at timestamptz not null
);
create index if not exists reconciliation_mismatches_by_sale on reconciliation_mismatches (sale_id);

-- Settlement-file findings: the same shape (keys and the index by sale included), kept
-- apart because they are not derived from the topics and a replay does not rebuild them.
create table if not exists reconciliation_settlement_findings (like reconciliation_mismatches including all);

-- Events recorded but not yet acknowledged by Kafka: MismatchFlagged (keyed by the mismatch id)
-- and the MismatchResolved of refunds the partner confirmed (keyed by their eventId).
create table if not exists reconciliation_outbox (
  mismatch_id text primary key,
  event jsonb not null
);
`;

export async function migrateReconciliationSchema(db: Db): Promise<void> {
  await inTransaction(db, async (client) => {
    // Two processes starting at once would race on "if not exists"; the lock, per schema, serialises them.
    await client.query(`select pg_advisory_xact_lock(hashtextextended(current_schema() || ':reconciliation:migrate', 0))`);
    await client.query(ddl);
    await client.query(resolutionsDdl);
    await client.query(settlementRunsDdl);
  });
}
