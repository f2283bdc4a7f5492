// Given the events so far, when these arrive, then exactly these mismatches are flagged.
import { describe, expect, it } from 'vitest';
import { advanceWatermark, reconcile, reconciliationDecider } from '../../../domain/reconciliation/reconcile.js';
import { initialState } from '../../../domain/reconciliation/state.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { env, GRACE, granted, paid, PARTNER, refunded, released, SALE, scheduled, T0, tick } from './reconciliationFixtures.js';
import { spec } from '../../support/deciderSpec.js';

const { given } = spec(reconciliationDecider({ graceMs: GRACE }));

describe('reconciling our events with the partner’s', () => {
  it('flags nothing when the partner takes exactly what we granted', () => {
    given([scheduled(), granted('tx-1')])
      .when([paid('tx-1', 'p1', T0 + 5_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
  });

  it('flags an amount mismatch against the grant, with both figures', () => {
    given([scheduled(), granted('tx-1')])
      .when([paid('tx-1', 'p1', T0 + 5_000, { amountMinor: 900 })])
      .thenMatches([
        {
          mismatchId: `mismatch:amount_mismatch:tx-1:${PARTNER}:p1`,
          kind: 'amount_mismatch',
          saleId: SALE,
          partnerEventId: `${PARTNER}:p1`,
          expected: { quantity: 1, amountMinor: 1000, currency: 'EUR' },
          actual: { quantity: 1, amountMinor: 900, currency: 'EUR' },
          detectedAt: T0 + 5_000,
        },
      ]);
  });

  it('counts a payment in another currency as an amount mismatch', () => {
    given([scheduled(), granted('tx-1')])
      .when([paid('tx-1', 'p1', T0 + 5_000, { currency: 'USD' })])
      .thenMatches([{ kind: 'amount_mismatch' }]);
  });

  it('flags a quantity mismatch against the grant', () => {
    given([scheduled(), granted('tx-1', T0, 2, 2000)])
      .when([paid('tx-1', 'p1', T0 + 5_000, { quantity: 1, amountMinor: 2000 })])
      .thenMatches([{ kind: 'quantity_mismatch', expected: { quantity: 2, amountMinor: 2000, currency: 'EUR' } }]);
  });

  it('flags a second distinct payment for one transaction as a duplicate, once', () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p1', T0 + 5_000)])
      .when([paid('tx-1', 'p2', T0 + 9_000), paid('tx-1', 'p2', T0 + 9_000)])
      .thenMatches([{ kind: 'duplicate_payment', partnerEventId: `${PARTNER}:p2`, detectedAt: T0 + 9_000 }]);
  });

  it('takes the same partner event twice as a redelivery, not a duplicate', () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p1', T0 + 5_000)])
      .when([paid('tx-1', 'p1', T0 + 5_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
  });

  it('flags the later-received payment as the duplicate even when it was delivered first', () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p2', T0 + 9_000)])
      .when([paid('tx-1', 'p1', T0 + 5_000)])
      .thenMatches([{ kind: 'duplicate_payment', partnerEventId: `${PARTNER}:p2`, detectedAt: T0 + 9_000 }]);
  });

  it('flags a payment for a reservation that was released as late', () => {
    given([scheduled(), granted('tx-1'), released('tx-1', T0 + 120_000)])
      .when([paid('tx-1', 'p1', T0 + 125_000)])
      .thenMatches([{ kind: 'late_payment', expected: null, detectedAt: T0 + 125_000 }]);
  });

  it('flags a late payment also when the release is delivered after it', () => {
    given([scheduled(), granted('tx-1'), paid('tx-1', 'p1', T0 + 125_000)])
      .when([released('tx-1', T0 + 120_000)])
      .thenMatches([{ kind: 'late_payment', detectedAt: T0 + 125_000 }]);
  });

  it('counts a reservation that expires unpaid as an outcome, not a mismatch', () => {
    given([scheduled(), granted('tx-1')])
      .when([released('tx-1', T0 + 120_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
  });

  it('holds a payment that arrives before its grant, and judges it when the grant comes', () => {
    const early = [scheduled(), paid('tx-1', 'p1', T0 + 5_000, { amountMinor: 1 })];
    given(early)
      .when([tick(T0 + 5_000 + GRACE - 1)])
      .thenNothing();
    given([...early, tick(T0 + 5_000 + GRACE - 1)])
      .when([granted('tx-1')])
      .thenMatches([{ kind: 'amount_mismatch', detectedAt: T0 + 5_000 }]);
  });

  it('flags an unmatched payment as unknown only when event time passes its grace period', () => {
    const history = [scheduled(), paid('tx-x', 'p1', T0 + 5_000)];
    given(history)
      .when([tick(T0 + 5_000 + GRACE - 1)])
      .thenNothing();
    given(history)
      .when([tick(T0 + 5_000 + GRACE)])
      .thenMatches([
        {
          mismatchId: `mismatch:unknown_transaction:tx-x:${PARTNER}:p1`,
          kind: 'unknown_transaction',
          saleId: SALE,
          expected: null,
          detectedAt: T0 + 5_000 + GRACE,
        },
      ]);
  });

  it('moves the clock no further than the frontier: a grant still unread on a lagging partition is waited for', () => {
    // A partner-events backlog applied first, reaching past the payment's grace, while the grant is still unread.
    const state = reconcile(initialState, [scheduled()], { graceMs: GRACE }).state;
    const ahead = reconcile(state, [paid('tx-1', 'p1', T0 + 5_000), tick(T0 + 5_000 + 2 * GRACE)], {
      graceMs: GRACE,
      frontier: T0 + GRACE,
    });
    expect(ahead.flagged).toEqual([]);
    expect(ahead.state.watermark).toBe(T0 + GRACE);
    expect(reconcile(ahead.state, [granted('tx-1', T0)], { graceMs: GRACE }).flagged).toEqual([]);
  });

  it('attributes an unknown transaction to the partner’s sale whose window holds the partner’s time, else to none', () => {
    const later = scheduled('sale-2', T0 + 1_000, T0 + 2_000);
    given([scheduled(), later])
      .when([paid('tx-x', 'p1', T0 + 1_500), tick(T0 + 10 * GRACE)])
      .thenMatches([{ kind: 'unknown_transaction', saleId: 'sale-2' }]);
    given([scheduled()])
      .when([paid('tx-y', 'p2', T0 - 3_600_000), tick(T0 + 10 * GRACE)])
      .thenMatches([{ kind: 'unknown_transaction', saleId: null }]);
  });

  it('flags a refund for a transaction the partner never took a payment for, after the grace period', () => {
    given([scheduled(), granted('tx-1'), released('tx-1', T0 + 120_000)])
      .when([refunded('tx-1', 'r1', T0 + 130_000), tick(T0 + 130_000 + GRACE)])
      .thenMatches([{ kind: 'refund_without_payment', saleId: SALE, actual: { quantity: 1, amountMinor: 1000, currency: 'EUR' } }]);
  });

  it('does not flag a refund whose payment is delivered after it, within the grace period', () => {
    given([scheduled(), granted('tx-1'), refunded('tx-1', 'r1', T0 + 30_000)])
      .when([paid('tx-1', 'p1', T0 + 5_000), tick(T0 + 10 * GRACE)])
      .thenNothing();
  });

  it('treats a payment for a rejected claim as unknown: it was never granted', () => {
    const rejected: EventOf<'ClaimRejected'> = {
      type: 'ClaimRejected',
      ...env(T0, 'decision:tx-r'),
      transactionId: 'tx-r',
      saleId: SALE,
      userId: 'u',
      quantity: 1,
      reason: 'sold_out',
      decidedBy: 'decision_maker',
    };
    given([scheduled(), rejected])
      .when([paid('tx-r', 'p1', T0 + 1_000), tick(T0 + 10 * GRACE)])
      .thenMatches([{ kind: 'unknown_transaction' }]);
  });

  it('judges held events when the clock alone moves past their grace', () => {
    const { state } = reconcile(initialState, [scheduled(), paid('tx-x', 'p1', T0)], { graceMs: GRACE });
    expect(advanceWatermark(state, T0 + GRACE - 1, { graceMs: GRACE }).flagged).toEqual([]);
    expect(advanceWatermark(state, T0 + GRACE, { graceMs: GRACE }).flagged).toEqual([
      expect.objectContaining({ kind: 'unknown_transaction', detectedAt: T0 + GRACE }),
    ]);
  });

  it('puts the refund of an unknown transaction’s payment in the sale that payment was attributed to, whichever came first', () => {
    const saleOfRefund = (events: Parameters<typeof reconcile>[1]) =>
      reconcile(initialState, [scheduled(), ...events, tick(T0 + 10 * GRACE)], { graceMs: GRACE })
        .state.transactions.get('tx-x')
        ?.reports.find((r) => r.kind === 'refund')?.saleId;
    expect(saleOfRefund([paid('tx-x', 'p1', T0 + 5_000), tick(T0 + 5_000 + GRACE), refunded('tx-x', 'r1', T0 + 2 * GRACE)])).toBe(SALE);
    expect(saleOfRefund([paid('tx-x', 'p1', T0 + 5_000), refunded('tx-x', 'r1', T0 + 6_000)])).toBe(SALE);
  });

  it('never mutates the state it is given', () => {
    const { state } = reconcile(initialState, [granted('tx-1')], { graceMs: GRACE });
    const snapshot = JSON.stringify([...state.transactions]);
    reconcile(state, [paid('tx-1', 'p1', T0 + 1), released('tx-1', T0 + 2)], { graceMs: GRACE });
    expect(JSON.stringify([...state.transactions])).toBe(snapshot);
  });
});
