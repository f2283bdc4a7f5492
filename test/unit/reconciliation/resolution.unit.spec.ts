// The resolution decider: which action a mismatch takes, and the events it becomes.
import { describe, expect, it } from 'vitest';
import { decideResolution, type MismatchCase, refundClosure } from '../../../domain/reconciliation/resolution.js';

const open: MismatchCase = {
  mismatchId: 'mismatch:amount_mismatch:tx-1:demo-pay:evt-1',
  kind: 'amount_mismatch',
  transactionId: 'tx-1',
  saleId: 'sale-1',
  status: 'open',
  payment: { eventId: 'demo-pay:evt-1', partnerId: 'demo-pay', figures: { quantity: 1, amountMinor: 999, currency: 'EUR' } },
};
const by = { note: 'why', by: 'op-1', now: 1_000 };

describe('decideResolution', () => {
  it('asks the partner that took the payment for a refund, once per mismatch (status resolving)', () => {
    const d = decideResolution(open, { action: 'refund', ...by });
    expect(d).toMatchObject({ ok: true, takesUnit: false });
    expect(d.ok && d.events).toEqual([
      expect.objectContaining({
        type: 'RefundRequested',
        eventId: `refund:${open.mismatchId}`,
        requestId: `refund:${open.mismatchId}`,
        partnerId: 'demo-pay',
        paymentEventId: 'demo-pay:evt-1',
        amountMinor: 999,
        requestedBy: 'op-1',
        occurredAt: 1_000,
      }),
    ]);
  });

  it('refuses to refund what is not a payment we hold', () => {
    const d = decideResolution({ ...open, kind: 'refund_without_payment', payment: null }, { action: 'refund', ...by });
    expect(d).toMatchObject({ ok: false, refusal: { code: 'nothing_to_refund' } });
  });

  it('accepts and writes off at once; only accepting a late payment takes a unit', () => {
    const accepted = decideResolution(open, { action: 'accept', ...by });
    expect(accepted).toMatchObject({
      ok: true,
      takesUnit: false,
      events: [{ type: 'MismatchResolved', action: 'accept', resolvedBy: 'op-1' }],
    });
    expect(decideResolution({ ...open, kind: 'late_payment' }, { action: 'accept', ...by })).toMatchObject({ ok: true, takesUnit: true });
    expect(decideResolution({ ...open, kind: 'late_payment' }, { action: 'write_off', ...by })).toMatchObject({
      ok: true,
      takesUnit: false,
    });
  });

  it.each(['resolving', 'resolved'] as const)('refuses every action on a %s mismatch', (status) => {
    for (const action of ['refund', 'accept', 'write_off'] as const)
      expect(decideResolution({ ...open, status }, { action, ...by })).toMatchObject({ ok: false, refusal: { code: `already_${status}` } });
  });

  it("closes a refund request with the partner's refund, at whichever came last", () => {
    const d = decideResolution(open, { action: 'refund', ...by });
    if (!d.ok || d.events[0]?.type !== 'RefundRequested') throw new Error('expected a refund request');
    expect(refundClosure(d.events[0], { eventId: 'demo-pay:rf-1', receivedAt: 500 })).toMatchObject({
      type: 'MismatchResolved',
      eventId: `resolved:${open.mismatchId}`,
      occurredAt: 1_000,
      action: 'refund',
      refundEventId: 'demo-pay:rf-1',
      paymentEventId: 'demo-pay:evt-1',
      resolvedBy: 'op-1',
    });
  });
});
