// A sale's life and its inventory, on the `sales` topic keyed by saleId: every fact that
// changes a sale's slot queue, in the order the decision-maker made it. The Redis
// projection is a fold over exactly these events.
import { timestamp } from '../avro.js';
import { defineEvent, money } from './define.js';

const rejectionReason = {
  type: 'enum',
  name: 'ClaimRejectionReason',
  symbols: ['sold_out', 'limit_exceeded', 'sale_not_open', 'duplicate'],
} as const;

export const SaleScheduled = defineEvent('SaleScheduled', 'An operator scheduled a sale; its stock becomes slots 1..stock.', [
  { name: 'saleId', type: 'string' },
  { name: 'productId', type: 'string' },
  { name: 'partnerId', type: 'string' },
  { name: 'stock', type: 'int' },
  { name: 'priceMinor', type: 'long' },
  { name: 'currency', type: 'string' },
  { name: 'startsAt', type: timestamp },
  { name: 'endsAt', type: timestamp },
  { name: 'perUserLimit', type: 'int' },
  { name: 'reservationSeconds', type: 'int' },
  { name: 'challenge', type: { type: 'enum', name: 'SaleChallenge', symbols: ['pow', 'none'] } },
  // v2. Null (and so every v1 sale) leaves the edge's configured default in force.
  {
    name: 'maxOpenEntriesPerUser',
    type: ['null', 'int'],
    default: null,
    doc: 'Entries one user may hold in this sale without claiming with one of them; null: MAX_OPEN_ENTRIES_PER_USER.',
  },
  // v3. Every earlier sale was decided on one partition, as a sale of one shard is.
  {
    name: 'shards',
    type: 'int',
    default: 1,
    doc: "Claims partitions the sale's claims are spread over, each decided by whoever owns it; a shopper stays on one (shardOf).",
  },
]);

export const SaleClosed = defineEvent('SaleClosed', 'The sale stops taking claims (an operator closed it early).', [
  { name: 'saleId', type: 'string' },
  { name: 'closedBy', type: 'string' },
]);

export const ClaimGranted = defineEvent('ClaimGranted', 'A claim got its slots; they are reserved until expiresAt.', [
  { name: 'transactionId', type: 'string' },
  { name: 'saleId', type: 'string' },
  { name: 'userId', type: 'string' },
  { name: 'quantity', type: 'int' },
  { name: 'slotIds', type: { type: 'array', items: 'string' } },
  ...money,
  { name: 'expiresAt', type: timestamp },
]);

export const ClaimRejected = defineEvent(
  'ClaimRejected',
  'A claim was refused, by the decision-maker or at the edge; the reason is part of the audit trail.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'reason', type: rejectionReason },
    // v2. Every v1 record was the decision-maker's: the edge began recording its refusals with v2.
    {
      name: 'decidedBy',
      type: { type: 'enum', name: 'ClaimRejectedBy', symbols: ['decision_maker', 'edge'] },
      default: 'decision_maker',
      doc: 'Who refused: the decision-maker, or the HTTP edge at once (a sale sold out or not open), recorded after its answer.',
    },
  ],
);

export const ReservationReleased = defineEvent(
  'ReservationReleased',
  'A granted reservation ended unpaid; its slots went back to the queue.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'slotIds', type: { type: 'array', items: 'string' } },
    { name: 'reason', type: { type: 'enum', name: 'ReleaseReason', symbols: ['expired', 'cancelled'] } },
  ],
);

export const ReservationSettled = defineEvent(
  'ReservationSettled',
  'A payment reached a live reservation first: its slots are sold for good.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'paymentEventId', type: 'string', doc: 'The PartnerPaymentReported event that settled it.' },
  ],
);

export const LatePaymentAccepted = defineEvent(
  'LatePaymentAccepted',
  'An operator accepted a late payment and a unit was free: the released transaction holds these slots for good.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'slotIds', type: { type: 'array', items: 'string' } },
    { name: 'paymentEventId', type: 'string', doc: 'The late PartnerPaymentReported that now pays for them.' },
    { name: 'acceptedBy', type: 'string' },
  ],
);

export const UnitsReturned = defineEvent(
  'UnitsReturned',
  "The payment holding a transaction's units was refunded while the sale was open: its slots went back to the queue.",
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'slotIds', type: { type: 'array', items: 'string' } },
    { name: 'paymentEventId', type: 'string', doc: 'The payment refunded.' },
    { name: 'refundEventId', type: 'string', doc: "Our eventId of the partner's refund." },
  ],
);
