// Another partner's word on a sale's transaction: flagged wrong_partner, never taken as the
// sale's own payment, refund or lateness.
import { describe, it } from 'vitest';
import { reconciliationDecider } from '../../../domain/reconciliation/reconcile.js';
import { spec } from '../../support/deciderSpec.js';
import { GRACE, granted, OTHER, paid, refunded, released, SALE, scheduled, T0, tick } from './reconciliationFixtures.js';

const { given } = spec(reconciliationDecider({ graceMs: GRACE }));

describe("a partner that is not the sale's", () => {
  it("flags another partner's payment for the sale's transaction as wrong_partner, and only that", () => {
    given([scheduled(), granted('tx-1')])
      .when([paid('tx-1', 'o1', T0 + 5_000, { partnerId: OTHER, amountMinor: 1 }), tick(T0 + 10 * GRACE)])
      .thenMatches([
        {
          mismatchId: `mismatch:wrong_partner:tx-1:${OTHER}:o1`,
          kind: 'wrong_partner',
          saleId: SALE,
          partnerEventId: `${OTHER}:o1`,
          expected: { quantity: 1, amountMinor: 1000, currency: 'EUR' },
          actual: { quantity: 1, amountMinor: 1, currency: 'EUR' },
          detectedAt: T0 + 5_000,
        },
      ]);
  });

  it("does not take another partner's payment as the transaction's first: the sale's partner's is no duplicate", () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'o1', T0 + 5_000, { partnerId: OTHER })])
      .when([paid('tx-1', 'p1', T0 + 9_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
    // Delivered the other way round, received earlier: still the same single flag.
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p1', T0 + 9_000)])
      .when([paid('tx-1', 'o1', T0 + 5_000, { partnerId: OTHER }), tick(T0 + 10 * GRACE)])
      .thenMatches([{ kind: 'wrong_partner', partnerEventId: `${OTHER}:o1` }]);
  });

  it("never calls another partner's payment late when the reservation is released", () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'o1', T0 + 5_000, { partnerId: OTHER })])
      .when([released('tx-1', T0 + 120_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
  });

  it("holds a payment whose grant came before its sale was known, and judges it against the sale's partner", () => {
    given([granted('tx-1'), paid('tx-1', 'o1', T0 + 5_000, { partnerId: OTHER })])
      .when([scheduled()])
      .thenMatches([{ kind: 'wrong_partner', detectedAt: T0 + 5_000 }]);
  });

  it("flags another partner's refund as wrong_partner, and lets it refund only its own payments", () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p1', T0 + 5_000)])
      .when([refunded('tx-1', 'o-r1', T0 + 30_000, { partnerId: OTHER }), tick(T0 + 30_000 + GRACE)])
      .thenMatches([{ kind: 'wrong_partner', partnerEventId: `${OTHER}:o-r1`, detectedAt: T0 + 30_000 + GRACE }]);
  });
});
