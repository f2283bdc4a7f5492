// What users do through the storefront: enter a sale (which opens the TransactionID),
// claim, and go to the partner's payment page.
import { timestamp } from '../avro.js';
import { defineEvent, money } from './define.js';

export const EntryRecorded = defineEvent(
  'EntryRecorded',
  'A user entered a sale; this opens the TransactionID that follows them to the payment page.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
  ],
);

export const ClaimRequested = defineEvent(
  'ClaimRequested',
  'A user asked for quantity units; the decision-maker answers with ClaimGranted or ClaimRejected.',
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'quantity', type: 'int' },
    // v2. Every earlier claim was on its sale's own partition, shard 0.
    {
      name: 'shard',
      type: 'int',
      default: 0,
      doc: "The sale shard of the shopper (shardOf(userId, shards)): the claim goes to the sale's partition plus this, modulo the partitions.",
    },
  ],
);

export const ClaimForwarded = defineEvent(
  'ClaimForwarded',
  "A sharded sale's claim whose shard had too few free units, handed on to a shard that had them, to be decided there from its own.",
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'quantity', type: 'int' },
    { name: 'fromShard', type: 'int', doc: 'The shard that handed it on.' },
    { name: 'shard', type: 'int', doc: "The shard that decides it now: on the sale's claims partition plus this." },
    { name: 'hops', type: 'int', doc: 'How many times the claim was handed on, this time included; a sale of K shards stops at K.' },
  ],
);

export const PaymentRedirectIssued = defineEvent(
  'PaymentRedirectIssued',
  "A granted user was sent to the partner's payment page with a token only the partner can use.",
  [
    { name: 'transactionId', type: 'string' },
    { name: 'saleId', type: 'string' },
    { name: 'userId', type: 'string' },
    { name: 'partnerId', type: 'string' },
    { name: 'quantity', type: 'int' },
    ...money,
    { name: 'expiresAt', type: timestamp },
  ],
);
