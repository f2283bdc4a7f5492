// Reconciles one sale against a partner's settlement file. The rows stream into a temporary
// table inside one database transaction and are compared with what the partner told us on
// the stream, in SQL; the findings are recorded (once each, by id) and queued for
// publishing only if the whole file was good. A bad row rolls everything back.
import { attributeSale } from '../../domain/reconciliation/attribution.js';
import { type Figures, type Mismatch, mismatchId, toMismatchFlagged } from '../../domain/reconciliation/mismatch.js';
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

// A row belongs to the sale of the partner event it matches, else of its transaction, else
// of the sale its time falls in (for transactions we never saw). A match is the same partner
// event about the same transaction and of the same type; its figures may still differ.
const rowsOfSaleSql = `
select f.*, p.event_id as stream_event_id, p.quantity as stream_quantity, p.amount_minor as stream_amount_minor,
  p.currency as stream_currency
from settlement_rows f
left join reconciliation_partner_events p
  on p.partner_id = $2 and p.partner_event_id = f.event_id and p.transaction_id = f.transaction_id and p.kind = f.kind
left join reconciliation_transactions t on t.transaction_id = f.transaction_id
where coalesce(p.sale_id, t.sale_id, f.attributed_sale_id) = $1`;

const missingFromFileSql = `
select p.* from reconciliation_partner_events p
where p.sale_id = $1 and p.partner_id = $2 and p.reported_at <= $3
  and not exists (
    select 1 from settlement_rows f where f.event_id = p.partner_event_id and f.transaction_id = p.transaction_id and f.kind = p.kind)
order by p.reported_at, p.event_id`;

type RowOfSale = {
  event_id: string;
  transaction_id: string;
  quantity: number;
  amount_minor: string;
  currency: string;
  stream_event_id: string | null;
  stream_quantity: number | null;
  stream_amount_minor: string | null;
  stream_currency: string | null;
};

export async function applySettlementFile({
  db,
  saleId,
  rows,
  now = Date.now,
  outbox = true,
}: {
  db: Db;
  saleId: string;
  rows: AsyncIterable<{ line: number; row: SettlementRow }>;
  now?: () => number;
  outbox?: boolean;
}): Promise<SettlementOutcome> {
  return inTransaction(db, async (client) => {
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

    await client.query(tempTableSql);
    let total = 0;
    let chunk: { line: number; row: SettlementRow }[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
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
            attributed_sale_id: attributeSale(terms, partnerId, row.occurredAt),
          })),
        ),
      ]);
      if (inserted.length < chunk.length) {
        const kept = new Set(inserted.map((r) => r.line));
        const repeat = chunk.find((c) => !kept.has(c.line))!;
        throw new SettlementFileError(repeat.line, `eventId "${repeat.row.eventId}" is listed twice in the file`);
      }
      total += chunk.length;
      chunk = [];
    };
    for await (const r of rows) {
      chunk.push(r);
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();

    const until = await client.query<{ until: Date | null }>('select max(occurred_at) as until from settlement_rows');
    const coversUntil = until.rows[0]?.until?.getTime() ?? null;
    const detectedAt = now();
    const findings: Mismatch[] = [];
    const finding = (
      kind: Mismatch['kind'],
      transactionId: string,
      partnerEventId: string,
      expected: Figures | null,
      actual: Figures | null,
      variant?: string,
    ) =>
      findings.push({
        mismatchId: mismatchId(kind, transactionId, partnerEventId, variant),
        kind,
        transactionId,
        saleId,
        partnerEventId,
        expected,
        actual,
        detectedAt,
      });

    const ofSale = await client.query<RowOfSale>(rowsOfSaleSql, [saleId, partnerId]);
    for (const f of ofSale.rows) {
      const inFile = { quantity: f.quantity, amountMinor: Number(f.amount_minor), currency: f.currency };
      if (f.stream_event_id === null) {
        finding('missing_from_stream', f.transaction_id, `${partnerId}:${f.event_id}`, null, inFile);
        continue;
      }
      const onStream = { quantity: f.stream_quantity!, amountMinor: Number(f.stream_amount_minor), currency: f.stream_currency! };
      if (onStream.amountMinor !== inFile.amountMinor || onStream.currency !== inFile.currency)
        finding('amount_mismatch', f.transaction_id, f.stream_event_id, onStream, inFile, 'settlement');
      if (onStream.quantity !== inFile.quantity)
        finding('quantity_mismatch', f.transaction_id, f.stream_event_id, onStream, inFile, 'settlement');
    }
    if (coversUntil !== null) {
      const missing = await client.query<{
        event_id: string;
        transaction_id: string;
        quantity: number;
        amount_minor: string;
        currency: string;
      }>(missingFromFileSql, [saleId, partnerId, new Date(coversUntil)]);
      for (const p of missing.rows)
        finding(
          'missing_from_file',
          p.transaction_id,
          p.event_id,
          { quantity: p.quantity, amountMinor: Number(p.amount_minor), currency: p.currency },
          null,
        );
    }

    let recorded: Mismatch[] = [];
    if (findings.length) {
      const { rows: fresh } = await client.query<{ mismatch_id: string }>(insertMismatchesSql('reconciliation_settlement_findings'), [
        JSON.stringify(findings.map(mismatchRecord)),
      ]);
      const ids = new Set(fresh.map((r) => r.mismatch_id));
      recorded = findings.filter((m) => ids.has(m.mismatchId));
      if (outbox && recorded.length)
        await client.query(insertOutboxSql, [
          JSON.stringify(recorded.map((m) => ({ mismatch_id: m.mismatchId, event: toMismatchFlagged(m) }))),
        ]);
    }
    return { rows: total, rowsOfSale: ofSale.rows.length, coversUntil, findings, recorded };
  });
}
