// What reconciliation found: one event per mismatch, flagged once.
import { defineEvent } from './define.js';

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
