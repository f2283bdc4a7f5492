// The transaction view is a fold over the SET of a transaction's events: arrival order and
// repetition never change it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evolve, noEvents, type TransactionEvent, viewOf } from '../../../domain/transactions/transaction.js';
import { newStory, story, storyArbitrary } from '../../support/transactionStory.js';

const fold = (transactionId: string, events: TransactionEvent[]) => viewOf(transactionId, events.reduce(evolve, noEvents).values());

describe('the transaction view', () => {
  it('follows a transaction from entry to payment', () => {
    const s = newStory({ quantity: 2 });
    const b = story(s);
    const view = viewOf(s.transactionId, [b.entered(), b.requested(), b.granted(), b.redirected(), b.paid()]);
    expect(view).toMatchObject({
      saleId: 'sale-1',
      userId: 'u-1',
      status: 'paid',
      reason: null,
      slotIds: ['sale-1:1', 'sale-1:2'],
      expiresAt: s.t0 + 300_000,
      quantity: 2,
      expectedAmountMinor: 3998,
      paidAmountMinor: 3998,
      payments: 1,
      currency: 'EUR',
    });
    expect(view.history.map((h) => h.type)).toEqual([
      'EntryRecorded',
      'ClaimRequested',
      'ClaimGranted',
      'PaymentRedirectIssued',
      'PartnerPaymentReported',
    ]);
  });

  it('is paid when the payment arrives before the redirect', () => {
    const s = newStory();
    const b = story(s);
    expect(viewOf(s.transactionId, [b.paid(), b.entered(), b.granted(), b.redirected()]).status).toBe('paid');
  });

  it('counts a payment after the reservation expired as paid: the money was taken', () => {
    const s = newStory();
    const b = story(s);
    const view = viewOf(s.transactionId, [b.entered(), b.granted(), b.released(300_000), b.paid(300_500)]);
    expect(view.status).toBe('paid');
    expect(view.paidAmountMinor).toBe(1999);
  });

  it('says why a reservation ended or a claim was refused', () => {
    const s = newStory();
    const b = story(s);
    expect(viewOf(s.transactionId, [b.entered(), b.granted(), b.released()])).toMatchObject({ status: 'expired', reason: 'expired' });
    expect(viewOf(s.transactionId, [b.entered(), b.requested(), b.rejected(20, 'limit_exceeded')])).toMatchObject({
      status: 'rejected',
      reason: 'limit_exceeded',
      expectedAmountMinor: null,
    });
  });

  it('ends refunded, keeping both amounts', () => {
    const s = newStory();
    const b = story(s);
    expect(viewOf(s.transactionId, [b.refunded(), b.granted(), b.paid()])).toMatchObject({
      status: 'refunded',
      paidAmountMinor: 1999,
      refundedAmountMinor: 1999,
    });
  });

  it('keeps a transaction only the partner spoke of, with no sale and no owner', () => {
    const s = newStory();
    expect(viewOf(s.transactionId, [story(s).paid()])).toMatchObject({
      saleId: null,
      userId: null,
      status: 'paid',
      quantity: 1,
      expectedAmountMinor: null,
      paidAmountMinor: 1999,
    });
  });

  it('sums two distinct payments and counts a redelivered one once', () => {
    const s = newStory();
    const b = story(s);
    const first = b.paid(40, 'evt-a');
    const view = fold(s.transactionId, [b.granted(), first, { ...first }, b.paid(41, 'evt-b')]);
    expect(view.paidAmountMinor).toBe(2 * 1999);
    expect(view.payments).toBe(2);
    expect(view.history).toHaveLength(3);
  });

  it('folds every permutation of a transaction’s events, with any repetition, to the same view', () => {
    const s = newStory();
    const withOrder = storyArbitrary(s).chain((events) =>
      fc.tuple(
        fc.constant(events),
        fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
        fc.array(fc.nat({ max: Math.max(events.length - 1, 0) }), { maxLength: 6 }),
      ),
    );
    fc.assert(
      fc.property(withOrder, ([events, permuted, repeats]) => {
        const delivered = [...permuted];
        for (const i of repeats) if (events[i]) delivered.splice(i % (delivered.length + 1), 0, { ...events[i] });
        expect(fold(s.transactionId, delivered)).toEqual(viewOf(s.transactionId, events));
      }),
      { numRuns: 500 },
    );
  });

  it('never counts more money paid than the distinct payments carry', () => {
    const s = newStory();
    fc.assert(
      fc.property(storyArbitrary(s), (events) => {
        const view = fold(s.transactionId, [...events, ...events]);
        const distinct = events.filter((e) => e.type === 'PartnerPaymentReported');
        expect(view.paidAmountMinor).toBe(distinct.reduce((sum, e) => sum + e.amountMinor, 0));
        expect(view.history).toHaveLength(events.length);
      }),
    );
  });
});
