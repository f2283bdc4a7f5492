// What reconciliation found: one event per mismatch, flagged once.
import { defineEvent, money } from './define.js';

const figureFields = [
  { name: 'quantity', type: 'int' },
  { name: 'amountMinor', type: 'long' },
  { name: 'currency', type: 'string' },
] as const;
// Avro forbids naming one record twice in a schema, hence two names for the same shape.
const expectedFigures = { type: 'record', name: 'ExpectedFigures', fields: figureFields } as const;
const actualFigures = { type: 'record', name: 'ActualFigures', fields: figureFields } as const;

export const MismatchFlagged = defineEvent('MismatchFlagged', "Our events and the partner's disagree about one transaction.", [
  { name: 'transactionId', type: 'string' },
  { name: 'saleId', type: ['null', 'string'], default: null, doc: 'Null when the transaction is unknown to us.' },
  {
    name: 'kind',
    type: {
      type: 'enum',
      name: 'MismatchKind',
      // New kinds go at the end (v2 added wrong_partner). The default is what a reader reads
      // for a kind newer than itself, so a consumer behind the producer still reads the flag
      // (as a payment it cannot place) instead of failing on it.
      symbols: [
        'unknown_transaction',
        'late_payment',
        'amount_mismatch',
        'quantity_mismatch',
        'duplicate_payment',
        'refund_without_payment',
        'missing_from_stream',
        'missing_from_file',
        'wrong_partner',
      ],
      default: 'unknown_transaction',
    },
  },
  { name: 'expected', type: ['null', expectedFigures], default: null },
  { name: 'actual', type: ['null', actualFigures], default: null },
  { name: 'partnerEventId', type: ['null', 'string'], default: null, doc: 'The partner event that revealed it, where one did.' },
]);

const resolutionAction = { type: 'enum', name: 'ResolutionAction', symbols: ['refund', 'accept', 'write_off'] } as const;

export const RefundRequested = defineEvent(
  'RefundRequested',
  'An operator resolves a mismatch by refunding its payment: the partner is asked for the refund, once per requestId.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: ['null', 'string'], default: null },
    { name: 'mismatchId', type: 'string' },
    { name: 'requestId', type: 'string', doc: 'Idempotency key of the outbound call: the partner refunds once per requestId.' },
    { name: 'partnerId', type: 'string', doc: 'The partner that took the payment, and is asked to refund it.' },
    { name: 'paymentEventId', type: 'string', doc: 'Our eventId of the payment refunded (<partnerId>:<partnerEventId>).' },
    { name: 'quantity', type: 'int' },
    ...money,
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'requestedBy', type: 'string', doc: "The operator's sub (or cli:<user>)." },
  ],
);

export const MismatchResolved = defineEvent('MismatchResolved', 'A mismatch is closed: by an operator, or by the refund it asked for.', [
  { name: 'transactionId', type: 'string' },
  { name: 'saleId', type: ['null', 'string'], default: null },
  { name: 'mismatchId', type: 'string' },
  { name: 'action', type: resolutionAction },
  { name: 'note', type: ['null', 'string'], default: null },
  { name: 'resolvedBy', type: 'string', doc: "The operator's sub (for a refund, the one who asked for it)." },
  {
    name: 'refundEventId',
    type: ['null', 'string'],
    default: null,
    doc: 'For a refund: our eventId of the PartnerRefundReported that closed it.',
  },
  { name: 'paymentEventId', type: ['null', 'string'], default: null, doc: 'For a refund: the payment refunded.' },
]);
