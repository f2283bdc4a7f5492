// What a partner tells us about money (a webhook body, or a row of its settlement file),
// and the event we record for it. Our eventId is derived from the partner's own
// (`<partnerId>:<partnerEventId>`), so every redelivery of one report carries the same id
// and any consumer can dedupe on it, even if the edge's dedupe was lost.
import { z } from 'zod';
import type { EventOf } from '../../schemas/events/index.js';

const id = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const partnerReportSchema = z.object({
  eventId: id,
  transactionId: id,
  type: z.enum(['payment', 'refund']),
  quantity: z.number().int().min(1).max(1_000_000),
  amountMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as EUR'),
  occurredAt: z.string().datetime({ offset: true }),
});

export type PartnerReport = z.infer<typeof partnerReportSchema>;

export type PartnerEvent = EventOf<'PartnerPaymentReported'> | EventOf<'PartnerRefundReported'>;

export function partnerEventId(partnerId: string, partnerEventId: string): string {
  return `${partnerId}:${partnerEventId}`;
}

/** `receivedAt` becomes the event's occurredAt (when we learnt it); the partner's own time is kept as reportedAt. */
export function toPartnerEvent(partnerId: string, report: PartnerReport, receivedAt: number): PartnerEvent {
  return {
    type: report.type === 'payment' ? 'PartnerPaymentReported' : 'PartnerRefundReported',
    eventId: partnerEventId(partnerId, report.eventId),
    occurredAt: receivedAt,
    correlationId: report.transactionId,
    causationId: null,
    partnerId,
    partnerEventId: report.eventId,
    transactionId: report.transactionId,
    quantity: report.quantity,
    amountMinor: report.amountMinor,
    currency: report.currency,
    reportedAt: Date.parse(report.occurredAt),
  };
}
