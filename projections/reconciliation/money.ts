// The books of one sale, in the sale's minor units: where every payment the partner took ended.
// Each payment falls in one of four places, the first that applies:
//   open        a mismatch about it is open or resolving (a refund asked for, not yet made);
//   writtenOff  a mismatch about it was written off;
//   refunded    a refund resolution of a mismatch about it was closed by the partner's refund;
//   kept        the rest: clean payments, and payments whose mismatches were accepted.
// `refunded` is what the partner reports it refunded; a refund nobody asked for through a
// resolution (the partner's own) comes out of `kept`. So paid = kept + refunded + writtenOff
// + open holds exactly when every refund asked for came back for the amount asked: the
// books close when `open` is 0 and the identity holds (`balanced`).
import type { Db } from '../../platform/postgres.js';

export type SaleMoney = {
  paid: number;
  kept: number;
  refunded: number;
  writtenOff: number;
  open: number;
  /** Nothing open, and paid = kept + refunded + writtenOff. */
  balanced: boolean;
};

const moneySql = `
with pays as (
  select p.event_id, p.amount_minor,
    exists (
      select 1 from (
        select mismatch_id, partner_event_id from reconciliation_mismatches where sale_id = $1
        union all
        select mismatch_id, partner_event_id from reconciliation_settlement_findings where sale_id = $1
      ) m left join reconciliation_resolutions r on r.mismatch_id = m.mismatch_id
      where m.partner_event_id = p.event_id and coalesce(r.status, 'open') <> 'resolved') as open,
    exists (
      select 1 from reconciliation_resolutions r
      join (
        select mismatch_id, partner_event_id from reconciliation_mismatches where sale_id = $1
        union all
        select mismatch_id, partner_event_id from reconciliation_settlement_findings where sale_id = $1
      ) m on m.mismatch_id = r.mismatch_id
      where m.partner_event_id = p.event_id and r.action = 'write_off' and r.status = 'resolved') as written_off,
    exists (
      select 1 from reconciliation_resolutions r
      where r.payment_event_id = p.event_id and r.action = 'refund' and r.status = 'resolved') as refunded
  from reconciliation_partner_events p
  where p.sale_id = $1 and p.kind = 'payment'
),
refunds as (
  select p.amount_minor, exists (select 1 from reconciliation_resolutions r where r.refund_event_id = p.event_id) as asked
  from reconciliation_partner_events p
  where p.sale_id = $1 and p.kind = 'refund'
)
select
  (select coalesce(sum(amount_minor), 0) from pays) as paid,
  (select coalesce(sum(amount_minor), 0) from pays where open) as open,
  (select coalesce(sum(amount_minor), 0) from pays where not open and written_off) as written_off,
  (select coalesce(sum(amount_minor), 0) from pays where not open and not written_off and not refunded) as kept_payments,
  (select coalesce(sum(amount_minor), 0) from refunds) as refunded,
  (select coalesce(sum(amount_minor), 0) from refunds where not asked) as unasked_refunds`;

type Sum = string | number;

export async function readMoney(db: Db, saleId: string): Promise<SaleMoney> {
  const { rows } = await db.query<{
    paid: Sum;
    open: Sum;
    written_off: Sum;
    kept_payments: Sum;
    refunded: Sum;
    unasked_refunds: Sum;
  }>(moneySql, [saleId]);
  const r = rows[0]!;
  const paid = Number(r.paid);
  const open = Number(r.open);
  const writtenOff = Number(r.written_off);
  const refunded = Number(r.refunded);
  const kept = Number(r.kept_payments) - Number(r.unasked_refunds);
  return { paid, kept, refunded, writtenOff, open, balanced: open === 0 && paid === kept + refunded + writtenOff };
}
