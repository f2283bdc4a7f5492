// Reads the slice of reconciliation state a batch needs (its transactions, the held partner
// events whose grace may run out, the sales their partners ran) and writes back what the
// fold changed: a fixed number of statements per batch, whatever its size.
import type pg from 'pg';
import { fromEpochMs as ts } from '../../platform/postgres.js';
import type { Mismatch } from '../../domain/reconciliation/mismatch.js';
import type { PartnerReport, ReconciliationState, SaleTerms, TransactionState } from '../../domain/reconciliation/state.js';
import type { Reconciled } from '../../domain/reconciliation/working.js';
import { emptyTransaction } from '../../domain/reconciliation/state.js';

type Client = pg.PoolClient;

export const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

type SaleRow = {
  sale_id: string;
  partner_id: string;
  starts_at: Date;
  ends_at: Date;
  reservation_seconds: number;
  price_minor: string;
  currency: string;
};
type TransactionRow = {
  transaction_id: string;
  sale_id: string | null;
  granted_at: Date | null;
  granted_quantity: number | null;
  granted_amount_minor: string | null;
  granted_currency: string | null;
  redirected_at: Date | null;
  released_at: Date | null;
  release_reason: 'expired' | 'cancelled' | null;
  settled_by: string | null;
};
type ReportRow = {
  event_id: string;
  partner_id: string;
  partner_event_id: string;
  transaction_id: string;
  kind: 'payment' | 'refund';
  quantity: number;
  amount_minor: string;
  currency: string;
  reported_at: Date;
  received_at: Date;
  sale_id: string | null;
  resolved_at: Date | null;
};

/** Locks the clock row (one writer at a time, across processes) and returns the watermark. */
export async function lockClock(client: Client): Promise<number> {
  const { rows } = await client.query<{ watermark: Date }>('select watermark from reconciliation_clock where id for update');
  const row = rows[0];
  if (!row) throw new Error('reconciliation_clock has no row: run the migration first');
  return row.watermark.getTime();
}

export async function loadState(
  client: Client,
  opts: { watermark: number; transactionIds: Iterable<string>; dueUntil: number; partnerIds: Iterable<string>; saleIds?: Iterable<string> },
): Promise<ReconciliationState> {
  const { watermark, transactionIds, dueUntil, partnerIds } = opts;
  // Held partner events whose deadline (received + grace) falls at or before the new watermark: they will be judged.
  const due = await client.query<{ transaction_id: string }>(
    'select distinct transaction_id from reconciliation_partner_events where resolved_at is null and received_at <= $1',
    [new Date(dueUntil)],
  );
  const ids = [...new Set([...transactionIds, ...due.rows.map((r) => r.transaction_id)])];
  const [txs, reports] = await Promise.all([
    client.query<TransactionRow>('select * from reconciliation_transactions where transaction_id = any($1::text[])', [ids]),
    client.query<ReportRow>('select * from reconciliation_partner_events where transaction_id = any($1::text[])', [ids]),
  ]);
  const partners = new Set([...partnerIds, ...reports.rows.map((r) => r.partner_id)]);
  // The partners' sales (to attribute strangers), and the sales the transactions belong to
  // (whose partner alone may settle them: a payment from another is wrong_partner).
  const saleIds = new Set([...(opts.saleIds ?? []), ...txs.rows.flatMap((r) => (r.sale_id === null ? [] : [r.sale_id]))]);
  const sales = await client.query<SaleRow>(
    'select * from reconciliation_sales where partner_id = any($1::text[]) or sale_id = any($2::text[])',
    [[...partners], [...saleIds]],
  );

  const transactions = new Map<string, TransactionState>();
  for (const row of txs.rows) transactions.set(row.transaction_id, fromTransactionRow(row));
  for (const row of reports.rows) {
    let tx = transactions.get(row.transaction_id);
    if (!tx) transactions.set(row.transaction_id, (tx = emptyTransaction(row.transaction_id)));
    tx.reports.push(fromReportRow(row));
  }
  return { watermark, transactions, sales: new Map(sales.rows.map((r) => [r.sale_id, fromSaleRow(r)])) };
}

function fromSaleRow(r: SaleRow): SaleTerms {
  return {
    saleId: r.sale_id,
    partnerId: r.partner_id,
    startsAt: r.starts_at.getTime(),
    endsAt: r.ends_at.getTime(),
    reservationSeconds: r.reservation_seconds,
    priceMinor: Number(r.price_minor),
    currency: r.currency,
  };
}

function fromTransactionRow(r: TransactionRow): TransactionState {
  return {
    transactionId: r.transaction_id,
    saleId: r.sale_id,
    grant:
      r.granted_at === null
        ? null
        : {
            quantity: r.granted_quantity ?? 0,
            amountMinor: Number(r.granted_amount_minor),
            currency: r.granted_currency ?? '',
            at: r.granted_at.getTime(),
          },
    redirectedAt: ms(r.redirected_at),
    release: r.released_at === null ? null : { reason: r.release_reason ?? 'expired', at: r.released_at.getTime() },
    settledBy: r.settled_by,
    reports: [],
  };
}

function fromReportRow(r: ReportRow): PartnerReport {
  return {
    eventId: r.event_id,
    partnerId: r.partner_id,
    partnerEventId: r.partner_event_id,
    transactionId: r.transaction_id,
    kind: r.kind,
    quantity: r.quantity,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    reportedAt: r.reported_at.getTime(),
    receivedAt: r.received_at.getTime(),
    saleId: r.sale_id,
    resolvedAt: ms(r.resolved_at),
  };
}

const upsertSalesSql = `
insert into reconciliation_sales (sale_id, partner_id, starts_at, ends_at, reservation_seconds, price_minor, currency)
select sale_id, partner_id, ${ts('starts_at')}, ${ts('ends_at')}, reservation_seconds, price_minor, currency
from jsonb_to_recordset($1::jsonb) as r(sale_id text, partner_id text, starts_at bigint, ends_at bigint,
  reservation_seconds int, price_minor bigint, currency text)
on conflict (sale_id) do nothing`;

const upsertTransactionsSql = `
insert into reconciliation_transactions (transaction_id, sale_id, granted_at, granted_quantity, granted_amount_minor,
  granted_currency, redirected_at, released_at, release_reason, settled_by)
select transaction_id, sale_id, ${ts('granted_at')}, granted_quantity, granted_amount_minor, granted_currency,
  ${ts('redirected_at')}, ${ts('released_at')}, release_reason, settled_by
from jsonb_to_recordset($1::jsonb) as r(transaction_id text, sale_id text, granted_at bigint, granted_quantity int,
  granted_amount_minor bigint, granted_currency text, redirected_at bigint, released_at bigint, release_reason text, settled_by text)
on conflict (transaction_id) do update set
  sale_id = excluded.sale_id, granted_at = excluded.granted_at, granted_quantity = excluded.granted_quantity,
  granted_amount_minor = excluded.granted_amount_minor, granted_currency = excluded.granted_currency,
  redirected_at = excluded.redirected_at, released_at = excluded.released_at, release_reason = excluded.release_reason,
  settled_by = excluded.settled_by`;

const upsertReportsSql = `
insert into reconciliation_partner_events (event_id, partner_id, partner_event_id, transaction_id, kind, quantity,
  amount_minor, currency, reported_at, received_at, sale_id, resolved_at)
select event_id, partner_id, partner_event_id, transaction_id, kind, quantity, amount_minor, currency,
  ${ts('reported_at')}, ${ts('received_at')}, sale_id, ${ts('resolved_at')}
from jsonb_to_recordset($1::jsonb) as r(event_id text, partner_id text, partner_event_id text, transaction_id text,
  kind text, quantity int, amount_minor bigint, currency text, reported_at bigint, received_at bigint, sale_id text, resolved_at bigint)
on conflict (event_id) do update set sale_id = excluded.sale_id, resolved_at = excluded.resolved_at`;

/** Inserts flags once (the id is the primary key) and returns the ids that were new. */
export function insertMismatchesSql(table: 'reconciliation_mismatches' | 'reconciliation_settlement_findings'): string {
  return `
insert into ${table} (mismatch_id, kind, transaction_id, sale_id, partner_event_id, expected, actual, detected_at)
select mismatch_id, kind, transaction_id, sale_id, partner_event_id, expected, actual, ${ts('detected_at')}
from jsonb_to_recordset($1::jsonb) as r(mismatch_id text, kind text, transaction_id text, sale_id text,
  partner_event_id text, expected jsonb, actual jsonb, detected_at bigint)
on conflict (mismatch_id) do nothing
returning mismatch_id`;
}

export function mismatchRecord(m: Mismatch) {
  return {
    mismatch_id: m.mismatchId,
    kind: m.kind,
    transaction_id: m.transactionId,
    sale_id: m.saleId,
    partner_event_id: m.partnerEventId,
    expected: m.expected,
    actual: m.actual,
    detected_at: m.detectedAt,
  };
}

export const insertOutboxSql = `
insert into reconciliation_outbox (mismatch_id, event)
select mismatch_id, event from jsonb_to_recordset($1::jsonb) as r(mismatch_id text, event jsonb)
on conflict (mismatch_id) do nothing`;

/** Writes what the fold changed and the flags it raised; returns the flags that were new to the table. */
export async function saveState(client: Client, out: Reconciled): Promise<Mismatch[]> {
  const { state, changed, flagged } = out;
  const sales = [...changed.sales].map((id) => state.sales.get(id)!);
  const txs = [...changed.transactions].map((id) => state.transactions.get(id)!);
  if (sales.length)
    await client.query(upsertSalesSql, [
      JSON.stringify(
        sales.map((s) => ({
          sale_id: s.saleId,
          partner_id: s.partnerId,
          starts_at: s.startsAt,
          ends_at: s.endsAt,
          reservation_seconds: s.reservationSeconds,
          price_minor: s.priceMinor,
          currency: s.currency,
        })),
      ),
    ]);
  if (txs.length) {
    await client.query(upsertTransactionsSql, [JSON.stringify(txs.map(transactionRecord))]);
    const reports = txs.flatMap((t) => t.reports.map(reportRecord));
    if (reports.length) await client.query(upsertReportsSql, [JSON.stringify(reports)]);
  }
  let recorded: Mismatch[] = [];
  if (flagged.length) {
    const { rows } = await client.query<{ mismatch_id: string }>(insertMismatchesSql('reconciliation_mismatches'), [
      JSON.stringify(flagged.map(mismatchRecord)),
    ]);
    const fresh = new Set(rows.map((r) => r.mismatch_id));
    recorded = flagged.filter((m) => fresh.has(m.mismatchId));
  }
  await client.query('update reconciliation_clock set watermark = to_timestamp($1 / 1000.0) where id', [state.watermark]);
  return recorded;
}

function transactionRecord(t: TransactionState) {
  return {
    transaction_id: t.transactionId,
    sale_id: t.saleId,
    granted_at: t.grant?.at ?? null,
    granted_quantity: t.grant?.quantity ?? null,
    granted_amount_minor: t.grant?.amountMinor ?? null,
    granted_currency: t.grant?.currency ?? null,
    redirected_at: t.redirectedAt,
    released_at: t.release?.at ?? null,
    release_reason: t.release?.reason ?? null,
    settled_by: t.settledBy,
  };
}

function reportRecord(r: PartnerReport) {
  return {
    event_id: r.eventId,
    partner_id: r.partnerId,
    partner_event_id: r.partnerEventId,
    transaction_id: r.transactionId,
    kind: r.kind,
    quantity: r.quantity,
    amount_minor: r.amountMinor,
    currency: r.currency,
    reported_at: r.reportedAt,
    received_at: r.receivedAt,
    sale_id: r.saleId,
    resolved_at: r.resolvedAt,
  };
}
