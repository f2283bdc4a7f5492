// The partner's word about money, as received on its signed webhook. Our eventId is
// derived from the partner's (partnerId:partnerEventId), so a redelivered webhook dedupes.
import { timestamp } from '../avro.js';
import { defineEvent, money } from './define.js';

const partnerFields = [
  { name: 'partnerId', type: 'string' },
  { name: 'partnerEventId', type: 'string', doc: "The partner's own event id." },
  { name: 'transactionId', type: 'string', doc: 'As the partner reports it; may name a transaction we never granted.' },
  { name: 'quantity', type: 'int' },
  ...money,
  { name: 'reportedAt', type: timestamp, doc: 'occurredAt as the partner stated it.' },
] as const;

export const PartnerPaymentReported = defineEvent('PartnerPaymentReported', 'The partner says it took a payment.', partnerFields);
export const PartnerRefundReported = defineEvent('PartnerRefundReported', 'The partner says it refunded a payment.', partnerFields);
