// An auditor's view of one transaction: every event that names it, in the order it
// happened, with the fields that matter. Pure: the CLI reads the topics and prints.
import type { FlashsaleEvent } from '../../schemas/events/index.js';

export type Located = { event: FlashsaleEvent; topic: string; partition: number; offset: string };

export type TrailEntry = {
  at: string;
  type: FlashsaleEvent['type'];
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
  causationId: string | null;
  summary: string;
};

export function concernsTransaction(event: FlashsaleEvent, transactionId: string): boolean {
  return ('transactionId' in event && event.transactionId === transactionId) || event.correlationId === transactionId;
}

function money(amountMinor: number, currency: string): string {
  return `${amountMinor} ${currency} (minor units)`;
}

export function summarize(event: FlashsaleEvent): string {
  switch (event.type) {
    case 'EntryRecorded':
      return `user ${event.userId} entered sale ${event.saleId}`;
    case 'ClaimRequested':
      return `user ${event.userId} claimed ${event.quantity}`;
    case 'ClaimForwarded':
      return `handed on from shard ${event.fromShard} to shard ${event.shard} (hop ${event.hops}): ${event.quantity}`;
    case 'ClaimGranted':
      return `granted ${event.quantity}: slots ${event.slotIds.join(' ')}; ${money(event.amountMinor, event.currency)}; until ${new Date(event.expiresAt).toISOString()}`;
    case 'ClaimRejected':
      return `rejected ${event.quantity}: ${event.reason}${event.decidedBy === 'edge' ? ' (refused at the edge)' : ''}`;
    case 'ReservationReleased':
      return `released (${event.reason}): slots ${event.slotIds.join(' ')}`;
    case 'ReservationSettled':
      return `settled by ${event.paymentEventId}`;
    case 'LatePaymentAccepted':
      return `late payment ${event.paymentEventId} accepted by ${event.acceptedBy}: slots ${event.slotIds.join(' ')}`;
    case 'UnitsReturned':
      return `refund ${event.refundEventId} of ${event.paymentEventId}: slots ${event.slotIds.join(' ')} back in the queue`;
    case 'PaymentRedirectIssued':
      return `sent to ${event.partnerId}: ${event.quantity} for ${money(event.amountMinor, event.currency)}; until ${new Date(event.expiresAt).toISOString()}`;
    case 'PartnerPaymentReported':
      return `${event.partnerId} payment ${event.partnerEventId}: ${event.quantity} for ${money(event.amountMinor, event.currency)}`;
    case 'PartnerRefundReported':
      return `${event.partnerId} refund ${event.partnerEventId}: ${event.quantity} for ${money(event.amountMinor, event.currency)}`;
    case 'MismatchFlagged':
      return `mismatch ${event.kind}`;
    case 'RefundRequested':
      return `${event.requestedBy} asked ${event.partnerId} to refund ${event.paymentEventId}: ${money(event.amountMinor, event.currency)} (mismatch ${event.mismatchId})`;
    case 'MismatchResolved':
      return `mismatch ${event.mismatchId} resolved by ${event.action} (${event.resolvedBy})${event.note ? `: ${event.note}` : ''}`;
    case 'SaleScheduled':
      return `sale ${event.saleId} scheduled`;
    case 'SaleClosed':
      return `sale ${event.saleId} closed by ${event.closedBy}`;
  }
}

/** The trail in the order things happened; ties (same millisecond) in log order, deterministically. */
export function transactionTrail(located: readonly Located[], transactionId: string): TrailEntry[] {
  return located
    .filter((l) => concernsTransaction(l.event, transactionId))
    .sort(
      (a, b) =>
        a.event.occurredAt - b.event.occurredAt ||
        a.topic.localeCompare(b.topic) ||
        a.partition - b.partition ||
        Number(a.offset) - Number(b.offset),
    )
    .map((l) => ({
      at: new Date(l.event.occurredAt).toISOString(),
      type: l.event.type,
      topic: l.topic,
      partition: l.partition,
      offset: l.offset,
      eventId: l.event.eventId,
      causationId: l.event.causationId,
      summary: summarize(l.event),
    }));
}
