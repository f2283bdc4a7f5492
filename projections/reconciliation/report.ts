// The reconciliation report of one sale, read from the projection's tables: totals on our
// side and the partner's, and every mismatch (stream flags and settlement-file findings).
// GET /reconciliation/sales/:saleId and `flashsale reconcile` both print this.
import type { Figures, MismatchKind } from '../../domain/reconciliation/mismatch.js';
import type { Db } from '../../platform/postgres.js';

/** The contract's shape (docs/contract.md, operators: GET /reconciliation/sales/:saleId). */
export type ReconciliationReport = {
  internal: { granted: number; redirected: number; expired: number; quantity: number; amountMinor: number };
  partner: { paid: number; refunded: number; quantity: number; amountMinor: number };
  mismatches: { transactionId: string; kind: MismatchKind; expected: Figures | null; actual: Figures | null; detectedAt: string }[];
};

/** The report plus what a person reading a table wants beside it. */
export type ReconciliationView = {
  saleId: string;
  partnerId: string | null;
  currency: string | null;
  report: ReconciliationReport;
  details: { mismatchId: string; partnerEventId: string | null; source: 'stream' | 'settlement' }[];
};

const totalsSql = `
select
  (select partner_id from reconciliation_sales where sale_id = $1) as partner_id,
  (select currency from reconciliation_sales where sale_id = $1) as currency,
  count(*) filter (where granted_at is not null) as granted,
  count(*) filter (where redirected_at is not null) as redirected,
  count(*) filter (where released_at is not null) as expired,
  coalesce(sum(granted_quantity) filter (where granted_at is not null and released_at is null), 0) as quantity,
  coalesce(sum(granted_amount_minor) filter (where granted_at is not null and released_at is null), 0) as amount_minor
from reconciliation_transactions where sale_id = $1`;

const partnerSql = `
select
  count(*) filter (where kind = 'payment') as paid,
  count(*) filter (where kind = 'refund') as refunded,
  coalesce(sum(quantity) filter (where kind = 'payment'), 0) as quantity,
  coalesce(sum(amount_minor) filter (where kind = 'payment'), 0) as amount_minor
from reconciliation_partner_events where sale_id = $1`;

const mismatchesSql = `
select *, 'stream' as source from reconciliation_mismatches where sale_id = $1
union all
select *, 'settlement' as source from reconciliation_settlement_findings where sale_id = $1
order by detected_at, kind, transaction_id, mismatch_id`;

type Count = string | number;

/** Undefined when reconciliation has seen nothing of this sale. */
export async function readReconciliation(db: Db, saleId: string): Promise<ReconciliationView | undefined> {
  const [totals, partner, mismatches] = await Promise.all([
    db.query<{
      partner_id: string | null;
      currency: string | null;
      granted: Count;
      redirected: Count;
      expired: Count;
      quantity: Count;
      amount_minor: Count;
    }>(totalsSql, [saleId]),
    db.query<{ paid: Count; refunded: Count; quantity: Count; amount_minor: Count }>(partnerSql, [saleId]),
    db.query<{
      mismatch_id: string;
      kind: MismatchKind;
      transaction_id: string;
      partner_event_id: string | null;
      expected: Figures | null;
      actual: Figures | null;
      detected_at: Date;
      source: 'stream' | 'settlement';
    }>(mismatchesSql, [saleId]),
  ]);
  const t = totals.rows[0]!;
  const p = partner.rows[0]!;
  const seen = t.partner_id !== null || Number(t.granted) > 0 || Number(p.paid) + Number(p.refunded) > 0 || mismatches.rows.length > 0;
  if (!seen) return undefined;
  return {
    saleId,
    partnerId: t.partner_id,
    currency: t.currency,
    report: {
      internal: {
        granted: Number(t.granted),
        redirected: Number(t.redirected),
        expired: Number(t.expired),
        quantity: Number(t.quantity),
        amountMinor: Number(t.amount_minor),
      },
      partner: { paid: Number(p.paid), refunded: Number(p.refunded), quantity: Number(p.quantity), amountMinor: Number(p.amount_minor) },
      mismatches: mismatches.rows.map((m) => ({
        transactionId: m.transaction_id,
        kind: m.kind,
        expected: m.expected,
        actual: m.actual,
        detectedAt: m.detected_at.toISOString(),
      })),
    },
    details: mismatches.rows.map((m) => ({ mismatchId: m.mismatch_id, partnerEventId: m.partner_event_id, source: m.source })),
  };
}
