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
