// The resolution of each mismatch, folded from the reconciliation topic (RefundRequested,
// MismatchResolved) and the partner's refunds, in the batch's database transaction. A refund
// request is closed by the partner's refund of the same transaction from the same partner
// received at or after the request, whichever of the two is folded first (the oldest open
// request takes the earliest unused refund), so a replay in another order rebuilds the same
// rows. The first resolution of a mismatch wins; a later one changes nothing.
import type pg from 'pg';
import { refundClosure } from '../../domain/reconciliation/resolution.js';
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';

type Client = pg.PoolClient;
type Closure = EventOf<'MismatchResolved'>;

export const resolutionsDdl = `
create table if not exists reconciliation_resolutions (
  mismatch_id text primary key,
  transaction_id text not null,
  sale_id text,
  status text not null check (status in ('resolving', 'resolved')),
  action text not null check (action in ('refund', 'accept', 'write_off')),
  note text,
  resolved_by text not null,
  requested_at timestamptz not null,
  resolved_at timestamptz,
  -- A refund's request: who is asked, for which payment, how much; and the refund that closed it.
  request_id text,
  partner_id text,
  payment_event_id text,
  quantity int,
  amount_minor bigint,
  currency text,
  refund_event_id text unique
);
create index if not exists reconciliation_resolutions_resolving on reconciliation_resolutions (transaction_id) where status = 'resolving';
`;

type RequestRow = {
  mismatch_id: string;
  transaction_id: string;
  sale_id: string | null;
  note: string | null;
  resolved_by: string;
  requested_at: Date;
  request_id: string;
  partner_id: string;
  payment_event_id: string;
  quantity: number;
  amount_minor: string;
  currency: string;
};

const ms = (d: Date) => d.getTime();

function requestOf(r: RequestRow): EventOf<'RefundRequested'> {
  return {
    type: 'RefundRequested',
    eventId: r.request_id,
    occurredAt: ms(r.requested_at),
    correlationId: r.transaction_id,
    causationId: r.mismatch_id,
    transactionId: r.transaction_id,
    saleId: r.sale_id,
    mismatchId: r.mismatch_id,
    requestId: r.request_id,
    partnerId: r.partner_id,
    paymentEventId: r.payment_event_id,
    quantity: r.quantity,
    amountMinor: Number(r.amount_minor),
    currency: r.currency,
    note: r.note,
    requestedBy: r.resolved_by,
  };
}

async function close(client: Client, closure: Closure): Promise<Closure | undefined> {
  const { rowCount } = await client.query(
    `update reconciliation_resolutions set status = 'resolved', resolved_at = to_timestamp($2 / 1000.0), refund_event_id = $3
     where mismatch_id = $1 and status = 'resolving'
       and not exists (select 1 from reconciliation_resolutions u where u.refund_event_id = $3)`,
    [closure.mismatchId, closure.occurredAt, closure.refundEventId],
  );
  return rowCount ? closure : undefined;
}

async function onRefundRequested(client: Client, e: EventOf<'RefundRequested'>): Promise<Closure | undefined> {
  const inserted = await client.query(
    `insert into reconciliation_resolutions (mismatch_id, transaction_id, sale_id, status, action, note, resolved_by, requested_at,
       request_id, partner_id, payment_event_id, quantity, amount_minor, currency)
     values ($1, $2, $3, 'resolving', 'refund', $4, $5, to_timestamp($6 / 1000.0), $7, $8, $9, $10, $11, $12)
     on conflict (mismatch_id) do nothing`,
    [
      e.mismatchId,
      e.transactionId,
      e.saleId,
      e.note,
      e.requestedBy,
      e.occurredAt,
      e.requestId,
      e.partnerId,
      e.paymentEventId,
      e.quantity,
      e.amountMinor,
      e.currency,
    ],
  );
  if (!inserted.rowCount) return undefined;
  // The partner's refund may have been folded first.
  const { rows } = await client.query<{ event_id: string; received_at: Date }>(
    `select p.event_id, p.received_at from reconciliation_partner_events p
     where p.transaction_id = $1 and p.partner_id = $2 and p.kind = 'refund' and p.received_at >= to_timestamp($3 / 1000.0)
       and not exists (select 1 from reconciliation_resolutions r where r.refund_event_id = p.event_id)
     order by p.received_at, p.event_id limit 1`,
    [e.transactionId, e.partnerId, e.occurredAt],
  );
  const refund = rows[0];
  return refund ? close(client, refundClosure(e, { eventId: refund.event_id, receivedAt: ms(refund.received_at) })) : undefined;
}

async function onPartnerRefund(client: Client, e: EventOf<'PartnerRefundReported'>): Promise<Closure | undefined> {
  const { rows } = await client.query<RequestRow>(
    `select * from reconciliation_resolutions
     where transaction_id = $1 and partner_id = $2 and status = 'resolving' and requested_at <= to_timestamp($3 / 1000.0)
       and not exists (select 1 from reconciliation_resolutions u where u.refund_event_id = $4)
     order by requested_at, mismatch_id limit 1`,
    [e.transactionId, e.partnerId, e.occurredAt, e.eventId],
  );
  const request = rows[0];
  return request ? close(client, refundClosure(requestOf(request), { eventId: e.eventId, receivedAt: e.occurredAt })) : undefined;
}

async function onResolved(client: Client, e: EventOf<'MismatchResolved'>): Promise<void> {
  if (e.action === 'refund') {
    // Published by the fold itself when a refund closed a request: here again it changes nothing, unless this fold has not met that refund yet.
    await close(client, e);
    return;
  }
  await client.query(
    `insert into reconciliation_resolutions (mismatch_id, transaction_id, sale_id, status, action, note, resolved_by, requested_at, resolved_at)
     values ($1, $2, $3, 'resolved', $4, $5, $6, to_timestamp($7 / 1000.0), to_timestamp($7 / 1000.0))
     on conflict (mismatch_id) do nothing`,
    [e.mismatchId, e.transactionId, e.saleId, e.action, e.note, e.resolvedBy, e.occurredAt],
  );
}

/** Folds the batch's resolution steps, in order; returns the refunds' closures it made (to publish as MismatchResolved). */
export async function applyResolutions(client: Client, events: readonly FlashsaleEvent[]): Promise<Closure[]> {
  const closures: Closure[] = [];
  for (const e of events) {
    let closure: Closure | undefined;
    if (e.type === 'RefundRequested') closure = await onRefundRequested(client, e);
    else if (e.type === 'PartnerRefundReported') closure = await onPartnerRefund(client, e);
    else if (e.type === 'MismatchResolved') await onResolved(client, e);
    if (closure) closures.push(closure);
  }
  return closures;
}
