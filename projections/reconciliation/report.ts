// The reconciliation report of one sale, read from the projection's tables: totals on our
// side and the partner's, and every mismatch (stream flags and settlement-file findings).
// GET /reconciliation/sales/:saleId and `flashsale reconcile` both print this.
import type { Figures, MismatchKind } from '../../domain/reconciliation/mismatch.js';
import type { MismatchStatus, ResolutionAction } from '../../domain/reconciliation/resolution.js';
import type { Db } from '../../platform/postgres.js';
import { readMoney, type SaleMoney } from './money.js';
import { readSettlementRuns, type SettlementRunView } from './settlementIntake.js';

export type Resolution = { action: ResolutionAction; note: string | null; by: string; at: string };

/** The contract's shape (docs/contract.md, operators: GET /reconciliation/sales/:saleId). */
export type ReconciliationReport = {
  /** `refused`: claims refused, at the edge or by the decision-maker (every "no" is on record). */
  internal: { granted: number; refused: number; redirected: number; expired: number; quantity: number; amountMinor: number };
  partner: { paid: number; refunded: number; quantity: number; amountMinor: number };
  mismatches: {
    id: string;
    transactionId: string;
    kind: MismatchKind;
    expected: Figures | null;
    actual: Figures | null;
    detectedAt: string;
    status: MismatchStatus;
    /** The resolution asked for (`resolving`: a refund waiting for the partner) or made; null while open. */
    resolution: Resolution | null;
  }[];
  /** The sale's mismatches by status (all of them, whatever the page or filter). */
  mismatchCounts: Record<MismatchStatus, number>;
  /** The books: paid = kept + refunded + writtenOff once nothing is open (money.ts). */
  money: SaleMoney;
  /** The partner's settlement files that concerned the sale (POSTed or dropped in the inbox), oldest first. */
  settlements: SettlementRunView[];
  /** Where the next page of mismatches starts (`?cursor=`); null on the last page, and when the list was not paged. */
  nextCursor: string | null;
};

/**
 * One page of a sale's mismatches: at most `limit`, after `after` (a cursor from the page
 * before). A sale with a million unmatched payments must not make one answer a million rows.
 */
export type MismatchPage = { limit: number; after?: MismatchCursor; status?: MismatchStatus };

/**
 * The last mismatch of a page, by the list's order: detection time (microseconds since the
 * epoch, Postgres's own precision, so no two rows compare equal that differ), kind,
 * transaction and mismatch id. Keyset paging: a mismatch flagged meanwhile neither shifts
 * the pages already read nor repeats one.
 */
export type MismatchCursor = { atMicros: string; kind: string; transactionId: string; mismatchId: string };

/** The cursor as the client carries it: opaque, URL-safe. */
export function encodeMismatchCursor(c: MismatchCursor): string {
  return Buffer.from(JSON.stringify([c.atMicros, c.kind, c.transactionId, c.mismatchId])).toString('base64url');
}

/** Undefined for anything this code did not hand out (the caller answers 400). */
export function decodeMismatchCursor(text: string): MismatchCursor | undefined {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) return undefined;
  const [atMicros, kind, transactionId, mismatchId] = parts as [string, string, string, string];
  // Checked here so that Postgres never sees a malformed bigint (an error there would be a 500).
  if (!/^\d{1,18}$/.test(atMicros)) return undefined;
  return { atMicros, kind, transactionId, mismatchId };
}

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
  exists (select 1 from reconciliation_mismatches where sale_id = $1)
    or exists (select 1 from reconciliation_settlement_findings where sale_id = $1) as flagged,
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

// $2..$5: the cursor (null: from the start); $6: the page's size (null: every row); $7 the status (null: any).
const mismatchesSql = `
select m.*, coalesce(r.status, 'open') as status, r.action, r.note, r.resolved_by,
  coalesce(r.resolved_at, r.requested_at) as resolution_at
from (
  select *, 'stream' as source, (extract(epoch from detected_at) * 1000000)::bigint as at_micros
  from reconciliation_mismatches where sale_id = $1
  union all
  select *, 'settlement' as source, (extract(epoch from detected_at) * 1000000)::bigint as at_micros
  from reconciliation_settlement_findings where sale_id = $1
) m
left join reconciliation_resolutions r on r.mismatch_id = m.mismatch_id
where ($2::bigint is null or (at_micros, kind, m.transaction_id, m.mismatch_id) > ($2::bigint, $3::text, $4::text, $5::text))
  and ($7::text is null or coalesce(r.status, 'open') = $7::text)
order by at_micros, kind, m.transaction_id, m.mismatch_id
limit $6`;

const countsSql = `
select coalesce(r.status, 'open') as status, count(*) as n
from (
  select mismatch_id from reconciliation_mismatches where sale_id = $1
  union all
  select mismatch_id from reconciliation_settlement_findings where sale_id = $1
) m
left join reconciliation_resolutions r on r.mismatch_id = m.mismatch_id
group by 1`;

type Count = string | number;

/**
 * Refused claims (at the edge or by the decision-maker) are no concern of the join with the
 * partner: the transactions projection has them. Where it never ran (a reconciliation-only
 * deployment or test), none.
 */
async function countRefused(db: Db, saleId: string): Promise<number> {
  try {
    const { rows } = await db.query<{ refused: Count }>(
      `select count(*) as refused from transactions where sale_id = $1 and status = 'rejected'`,
      [saleId],
    );
    return Number(rows[0]?.refused ?? 0);
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return 0; // undefined_table
    throw err;
  }
}

type MismatchRow = {
  mismatch_id: string;
  kind: MismatchKind;
  transaction_id: string;
  partner_event_id: string | null;
  expected: Figures | null;
  actual: Figures | null;
  detected_at: Date;
  source: 'stream' | 'settlement';
  at_micros: string;
  status: MismatchStatus;
  action: ResolutionAction | null;
  note: string | null;
  resolved_by: string | null;
  resolution_at: Date | null;
};

function resolutionOf(m: MismatchRow): Resolution | null {
  if (!m.action || !m.resolved_by || !m.resolution_at) return null;
  return { action: m.action, note: m.note, by: m.resolved_by, at: m.resolution_at.toISOString() };
}

/** The page's mismatches, and the cursor after them when more follow. Without a page, every one. */
async function readMismatches(db: Db, saleId: string, page?: MismatchPage): Promise<{ rows: MismatchRow[]; nextCursor: string | null }> {
  const after = page?.after;
  // One row more than the page: whether a next page exists, without counting the rest.
  const { rows } = await db.query<MismatchRow>(mismatchesSql, [
    saleId,
    after?.atMicros ?? null,
    after?.kind ?? null,
    after?.transactionId ?? null,
    after?.mismatchId ?? null,
    page ? page.limit + 1 : null,
    page?.status ?? null,
  ]);
  if (!page || rows.length <= page.limit) return { rows, nextCursor: null };
  const shown = rows.slice(0, page.limit);
  const last = shown[shown.length - 1]!;
  return {
    rows: shown,
    nextCursor: encodeMismatchCursor({
      atMicros: last.at_micros,
      kind: last.kind,
      transactionId: last.transaction_id,
      mismatchId: last.mismatch_id,
    }),
  };
}

/** Undefined when reconciliation has seen nothing of this sale. Without a page, every mismatch (the CLI's report). */
export async function readReconciliation(db: Db, saleId: string, page?: MismatchPage): Promise<ReconciliationView | undefined> {
  const [totals, partner, mismatches, counts, money, settlements, refused] = await Promise.all([
    db.query<{
      flagged: boolean;
      partner_id: string | null;
      currency: string | null;
      granted: Count;
      redirected: Count;
      expired: Count;
      quantity: Count;
      amount_minor: Count;
    }>(totalsSql, [saleId]),
    db.query<{ paid: Count; refunded: Count; quantity: Count; amount_minor: Count }>(partnerSql, [saleId]),
    readMismatches(db, saleId, page),
    db.query<{ status: MismatchStatus; n: Count }>(countsSql, [saleId]),
    readMoney(db, saleId),
    readSettlementRuns(db, saleId),
    countRefused(db, saleId),
  ]);
  const mismatchCounts: Record<MismatchStatus, number> = { open: 0, resolving: 0, resolved: 0 };
  for (const c of counts.rows) mismatchCounts[c.status] = Number(c.n);
  const t = totals.rows[0]!;
  const p = partner.rows[0]!;
  const seen = t.partner_id !== null || Number(t.granted) + refused > 0 || Number(p.paid) + Number(p.refunded) > 0 || t.flagged;
  if (!seen) return undefined;
  const { rows, nextCursor } = mismatches;
  return {
    saleId,
    partnerId: t.partner_id,
    currency: t.currency,
    report: {
      internal: {
        granted: Number(t.granted),
        refused,
        redirected: Number(t.redirected),
        expired: Number(t.expired),
        quantity: Number(t.quantity),
        amountMinor: Number(t.amount_minor),
      },
      partner: { paid: Number(p.paid), refunded: Number(p.refunded), quantity: Number(p.quantity), amountMinor: Number(p.amount_minor) },
      mismatches: rows.map((m) => ({
        id: m.mismatch_id,
        transactionId: m.transaction_id,
        kind: m.kind,
        expected: m.expected,
        actual: m.actual,
        detectedAt: m.detected_at.toISOString(),
        status: m.status,
        resolution: resolutionOf(m),
      })),
      mismatchCounts,
      money,
      settlements,
      nextCursor,
    },
    details: rows.map((m) => ({ mismatchId: m.mismatch_id, partnerEventId: m.partner_event_id, source: m.source })),
  };
}
