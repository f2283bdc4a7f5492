// Resolving a mismatch: an operator's action decided into events (RefundRequested, or
// MismatchResolved at once), or refused with a reason. Pure: the adapter loads the mismatch,
// its status and the partner event behind it, and publishes what this returns.
//
//   refund     the payment goes back to the payer through the partner that took it: a
//              RefundRequested (status `resolving`); the partner's refund closes it (`resolved`).
//              Only a mismatch about a payment we hold on record has something to refund.
//   accept     the payment stands (`resolved` at once). A late payment's shopper gets a unit
//              only if one is free: the adapter takes it atomically, or refuses (409).
//   write_off  the difference is ours to carry (`resolved` at once).
import type { EventOf } from '../../schemas/events/index.js';
import type { Figures, MismatchKind } from './mismatch.js';

export type ResolutionAction = EventOf<'MismatchResolved'>['action'];
export const RESOLUTION_ACTIONS = ['refund', 'accept', 'write_off'] as const satisfies readonly ResolutionAction[];

export type MismatchStatus = 'open' | 'resolving' | 'resolved';
export const MISMATCH_STATUSES = ['open', 'resolving', 'resolved'] as const satisfies readonly MismatchStatus[];

/** A mismatch as the resolution sees it. */
export type MismatchCase = {
  mismatchId: string;
  kind: MismatchKind;
  transactionId: string;
  saleId: string | null;
  status: MismatchStatus;
  /** The payment behind it, as we recorded it from the partner's webhook; null when it is not a payment we hold. */
  payment: { eventId: string; partnerId: string; figures: Figures } | null;
};

export type ResolveCommand = { action: ResolutionAction; note: string | null; by: string; now: number };

export type ResolutionEvent = EventOf<'RefundRequested'> | EventOf<'MismatchResolved'>;

export type ResolutionRefusal = {
  code: 'already_resolving' | 'already_resolved' | 'nothing_to_refund';
  message: string;
};

export type ResolutionDecision =
  | {
      ok: true;
      events: ResolutionEvent[];
      /** Accepting a late payment gives its shopper a unit: only if one is free, taken atomically by the adapter. */
      takesUnit: boolean;
    }
  | { ok: false; refusal: ResolutionRefusal };

/** The one request id of a mismatch's refund: the partner refunds once per id, however often it is called. */
export const refundRequestId = (mismatchId: string) => `refund:${mismatchId}`;
export const resolvedEventId = (mismatchId: string) => `resolved:${mismatchId}`;

export function decideResolution(m: MismatchCase, c: ResolveCommand): ResolutionDecision {
  if (m.status !== 'open')
    return {
      ok: false,
      refusal: {
        code: m.status === 'resolving' ? 'already_resolving' : 'already_resolved',
        message: `mismatch ${m.mismatchId} is already ${m.status}`,
      },
    };
  const envelope = { occurredAt: c.now, correlationId: m.transactionId, causationId: m.mismatchId };
  if (c.action === 'refund') return decideRefund(m, c, envelope);
  return {
    ok: true,
    takesUnit: c.action === 'accept' && m.kind === 'late_payment',
    events: [
      {
        type: 'MismatchResolved',
        eventId: resolvedEventId(m.mismatchId),
        ...envelope,
        transactionId: m.transactionId,
        saleId: m.saleId,
        mismatchId: m.mismatchId,
        action: c.action,
        note: c.note,
        resolvedBy: c.by,
        refundEventId: null,
        paymentEventId: m.payment?.eventId ?? null,
      },
    ],
  };
}

function decideRefund(
  m: MismatchCase,
  c: ResolveCommand,
  envelope: { occurredAt: number; correlationId: string; causationId: string },
): ResolutionDecision {
  if (!m.payment)
    return {
      ok: false,
      refusal: {
        code: 'nothing_to_refund',
        message: `mismatch ${m.mismatchId} (${m.kind}) is not about a payment we hold: there is nothing to refund; accept or write it off`,
      },
    };
  const requestId = refundRequestId(m.mismatchId);
  return {
    ok: true,
    takesUnit: false,
    events: [
      {
        type: 'RefundRequested',
        eventId: requestId,
        ...envelope,
        transactionId: m.transactionId,
        saleId: m.saleId,
        mismatchId: m.mismatchId,
        requestId,
        partnerId: m.payment.partnerId,
        paymentEventId: m.payment.eventId,
        ...m.payment.figures,
        note: c.note,
        requestedBy: c.by,
      },
    ],
  };
}

/** What closes a requested refund: the partner's refund of the transaction, received after the request. */
export function refundClosure(
  request: EventOf<'RefundRequested'>,
  refund: { eventId: string; receivedAt: number },
): EventOf<'MismatchResolved'> {
  const at = Math.max(request.occurredAt, refund.receivedAt);
  return {
    type: 'MismatchResolved',
    eventId: resolvedEventId(request.mismatchId),
    occurredAt: at,
    correlationId: request.transactionId,
    causationId: refund.eventId,
    transactionId: request.transactionId,
    saleId: request.saleId,
    mismatchId: request.mismatchId,
    action: 'refund',
    note: request.note,
    resolvedBy: request.requestedBy,
    refundEventId: refund.eventId,
    paymentEventId: request.paymentEventId,
  };
}
