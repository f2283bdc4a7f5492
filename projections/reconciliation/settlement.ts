// Reconciles one sale against a partner's settlement file. The rows stream into a temporary
// table inside one database transaction (which also refuses an eventId listed twice); the
// rows that may concern the sale and the partner's reports are loaded from it, and
// compareSettlement (domain/reconciliation/settlementComparison.ts) decides the findings. They
// are recorded (once each, by id) and queued for publishing only if the whole file was good.
// A bad row rolls everything back.
import type pg from 'pg';
import { attributeSale } from '../../domain/reconciliation/attribution.js';
import { type Mismatch, toMismatchFlagged } from '../../domain/reconciliation/mismatch.js';
import { compareSettlement, type FileRow, type StreamReport } from '../../domain/reconciliation/settlementComparison.js';
import type { SettlementRow } from '../../domain/reconciliation/settlementRow.js';
import type { SaleTerms } from '../../domain/reconciliation/state.js';
import { FlashsaleError } from '../../platform/errors.js';
import { type Db, inTransaction } from '../../platform/postgres.js';
import { SettlementFileError } from './settlementFile.js';
import { insertMismatchesSql, insertOutboxSql, mismatchRecord } from './store.js';

export type SettlementOutcome = {
  /** Rows in the file, and of those the ones about this sale. */
  rows: number;
  rowsOfSale: number;
  /** The latest time in the file: partner events after it are not expected in it. */
  coversUntil: number | null;
  findings: Mismatch[];
  /** Of the findings, those not recorded by an earlier run. */
  recorded: Mismatch[];
};

export class UnknownSaleError extends FlashsaleError {
  override name = 'UnknownSaleError';
  readonly retriable = false;
}

const CHUNK = 1_000;

const tempTableSql = `
create temporary table settlement_rows (
  line int not null,
  event_id text primary key,
  transaction_id text not null,
  kind text not null,
  quantity int not null,
  amount_minor bigint not null,
  currency text not null,
  occurred_at timestamptz not null,
  attributed_sale_id text
) on commit drop`;

const insertRowsSql = `
insert into settlement_rows (line, event_id, transaction_id, kind, quantity, amount_minor, currency, occurred_at, attributed_sale_id)
select line, event_id, transaction_id, kind, quantity, amount_minor, currency, to_timestamp(occurred_at / 1000.0), attributed_sale_id
from jsonb_to_recordset($1::jsonb) as r(line int, event_id text, transaction_id text, kind text, quantity int,
  amount_minor bigint, currency text, occurred_at bigint, attributed_sale_id text)
on conflict (event_id) do nothing
returning line`;

// What compareSettlement needs, and no more than the sale's share of a large file: the rows
// that may belong to the sale (a superset of its rule: any of the three sales it may take is
// this one), and the partner's reports of the sale or named by a row of the file.
const candidateRowsSql = `
select f.event_id, f.transaction_id, f.kind, f.quantity, f.amount_minor, f.currency, f.occurred_at, f.attributed_sale_id,
  t.sale_id as transaction_sale_id
from settlement_rows f
left join reconciliation_transactions t on t.transaction_id = f.transaction_id
where f.attributed_sale_id = $1 or t.sale_id = $1
  or exists (
    select 1 from reconciliation_partner_events p
    where p.partner_id = $2 and p.partner_event_id = f.event_id and p.transaction_id = f.transaction_id and p.kind = f.kind
      and p.sale_id = $1)
order by f.line`;

const streamReportsSql = `
select p.event_id, p.partner_event_id, p.transaction_id, p.kind, p.sale_id, p.quantity, p.amount_minor, p.currency, p.reported_at
from reconciliation_partner_events p
where p.partner_id = $2
  and (p.sale_id = $1
    or exists (select 1 from settlement_rows f where f.event_id = p.partner_event_id and f.transaction_id = p.transaction_id and f.kind = p.kind))`;

type CandidateRow = {
  event_id: string;
  transaction_id: string;
  kind: 'payment' | 'refund';
  quantity: number;
  amount_minor: string;
  currency: string;
  occurred_at: Date;
  attributed_sale_id: string | null;
  transaction_sale_id: string | null;
};

type StreamReportRow = {
  event_id: string;
  partner_event_id: string;
  transaction_id: string;
  kind: 'payment' | 'refund';
  sale_id: string | null;
  quantity: number;
  amount_minor: string;
  currency: string;
  reported_at: Date;
};

type Client = pg.PoolClient;
type NumberedRow = { line: number; row: SettlementRow };

export async function applySettlementFile({
  db,
  saleId,
  rows,
  now = Date.now,
  outbox = true,
}: {
  db: Db;
  saleId: string;
  rows: AsyncIterable<NumberedRow>;
  now?: () => number;
  outbox?: boolean;
}): Promise<SettlementOutcome> {
  return inTransaction(db, async (client) => {
    const { partnerId, terms } = await partnerSales(client, saleId);
    const total = await loadRows(client, rows, (occurredAt) => attributeSale(terms, partnerId, occurredAt));
    const { fileRows, stream, coversUntil } = await readComparison(client, saleId, partnerId);
    const { rowsOfSale, findings } = compareSettlement(stream, { rows: fileRows, coversUntil }, { saleId, partnerId, detectedAt: now() });
    const recorded = await recordFindings(client, findings, outbox);
    return { rows: total, rowsOfSale, coversUntil, findings, recorded };
  });
}

/** The sale's partner and the terms of every sale of that partner (a row's time may fall in any of them). */
async function partnerSales(client: Client, saleId: string): Promise<{ partnerId: string; terms: SaleTerms[] }> {
  const sale = await client.query<{ partner_id: string }>('select partner_id from reconciliation_sales where sale_id = $1', [saleId]);
  const partnerId = sale.rows[0]?.partner_id;
  if (!partnerId) throw new UnknownSaleError(`reconciliation has seen nothing of sale ${saleId} (no SaleScheduled)`);
  const sales = await client.query<{ sale_id: string; partner_id: string; starts_at: Date; ends_at: Date; reservation_seconds: number }>(
    'select sale_id, partner_id, starts_at, ends_at, reservation_seconds from reconciliation_sales where partner_id = $1',
    [partnerId],
  );
  const terms: SaleTerms[] = sales.rows.map((s) => ({
    saleId: s.sale_id,
    partnerId: s.partner_id,
    startsAt: s.starts_at.getTime(),
    endsAt: s.ends_at.getTime(),
    reservationSeconds: s.reservation_seconds,
    priceMinor: 0,
    currency: '',
  }));
  return { partnerId, terms };
}

/** Streams the file into the temporary table in chunks, each row with the sale its time falls in; the number of rows. */
async function loadRows(
  client: Client,
  rows: AsyncIterable<NumberedRow>,
  attributedSale: (occurredAt: number) => string | null,
): Promise<number> {
  await client.query(tempTableSql);
  let total = 0;
  let chunk: NumberedRow[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await insertChunk(client, chunk, attributedSale);
    total += chunk.length;
    chunk = [];
  };
  for await (const r of rows) {
    chunk.push(r);
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  return total;
}

/** One chunk into the temporary table; an eventId already there is a row listed twice, and fails the file. */
async function insertChunk(client: Client, chunk: NumberedRow[], attributedSale: (occurredAt: number) => string | null): Promise<void> {
  const { rows: inserted } = await client.query<{ line: number }>(insertRowsSql, [
    JSON.stringify(
      chunk.map(({ line, row }) => ({
        line,
        event_id: row.eventId,
        transaction_id: row.transactionId,
        kind: row.type,
        quantity: row.quantity,
        amount_minor: row.amountMinor,
        currency: row.currency,
        occurred_at: row.occurredAt,
        attributed_sale_id: attributedSale(row.occurredAt),
      })),
    ),
  ]);
  if (inserted.length < chunk.length) {
    const kept = new Set(inserted.map((r) => r.line));
    const repeat = chunk.find((c) => !kept.has(c.line))!;
    throw new SettlementFileError(repeat.line, `eventId "${repeat.row.eventId}" is listed twice in the file`);
  }
}

/** What compareSettlement takes, read back from the loaded file and the partner's reports. */
async function readComparison(
  client: Client,
  saleId: string,
  partnerId: string,
): Promise<{ fileRows: FileRow[]; stream: StreamReport[]; coversUntil: number | null }> {
  const until = await client.query<{ until: Date | null }>('select max(occurred_at) as until from settlement_rows');
  const coversUntil = until.rows[0]?.until?.getTime() ?? null;
  const candidates = await client.query<CandidateRow>(candidateRowsSql, [saleId, partnerId]);
  const reports = await client.query<StreamReportRow>(streamReportsSql, [saleId, partnerId]);
  const fileRows: FileRow[] = candidates.rows.map((f) => ({
    row: {
      eventId: f.event_id,
      transactionId: f.transaction_id,
      type: f.kind,
      quantity: f.quantity,
      amountMinor: Number(f.amount_minor),
      currency: f.currency,
      occurredAt: f.occurred_at.getTime(),
    },
    transactionSaleId: f.transaction_sale_id,
    attributedSaleId: f.attributed_sale_id,
  }));
  const stream: StreamReport[] = reports.rows.map((p) => ({
    eventId: p.event_id,
    partnerEventId: p.partner_event_id,
    transactionId: p.transaction_id,
    kind: p.kind,
    saleId: p.sale_id,
    figures: { quantity: p.quantity, amountMinor: Number(p.amount_minor), currency: p.currency },
    reportedAt: p.reported_at.getTime(),
  }));
  return { fileRows, stream, coversUntil };
}

/** Records the findings once each (by id) and queues the new ones for publishing; the new ones. */
async function recordFindings(client: Client, findings: Mismatch[], outbox: boolean): Promise<Mismatch[]> {
  if (!findings.length) return [];
  const { rows: fresh } = await client.query<{ mismatch_id: string }>(insertMismatchesSql('reconciliation_settlement_findings'), [
    JSON.stringify(findings.map(mismatchRecord)),
  ]);
  const ids = new Set(fresh.map((r) => r.mismatch_id));
  const recorded = findings.filter((m) => ids.has(m.mismatchId));
  if (outbox && recorded.length)
    await client.query(insertOutboxSql, [
      JSON.stringify(recorded.map((m) => ({ mismatch_id: m.mismatchId, event: toMismatchFlagged(m) }))),
    ]);
  return recorded;
}
