// The transaction view is a fold over the SET of a transaction's events: arrival order and
// repetition never change it. The fold is incremental; `definition` below is the plain
// statement of what it must compute (sort the distinct events, pick the earliest of each
// kind), kept here as the oracle the incremental fold is checked against.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  historyEntryOf,
  precedence,
  statusOf,
  type TransactionEvent,
  transactionEventTypes,
  type TransactionEventType,
  type TransactionStatus,
  type TransactionView,
  viewOf,
} from '../../../domain/transactions/transaction.js';
import { sampleEvents } from '../../support/sampleEvents.js';
import { newStory, story, storyArbitrary } from '../../support/transactionStory.js';

const fold = (transactionId: string, events: TransactionEvent[]) => viewOf(transactionId, events);

function byTimeThenId(a: TransactionEvent, b: TransactionEvent): number {
  return a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** What the view is, stated directly over the set of events. */
function definition(transactionId: string, events: Iterable<TransactionEvent>): TransactionView {
  const unique = new Map<string, TransactionEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const sorted = [...unique.values()].sort(byTimeThenId);
  const first = <T extends TransactionEventType>(...types: T[]) =>
    sorted.find((e): e is Extract<TransactionEvent, { type: T }> => (types as string[]).includes(e.type));
  const granted = first('ClaimGranted');
  const rejected = first('ClaimRejected');
  const redirected = first('PaymentRedirectIssued');
  const settled = first('ReservationSettled');
  // A granted transaction's partner events count for its status only from the sale's partner:
  // the one the shopper was redirected to, else the one whose payment settled it.
  const salePartner = redirected?.partnerId ?? settled?.paymentEventId.split(':')[0];
  const counts = (e: TransactionEvent) =>
    (e.type !== 'PartnerPaymentReported' && e.type !== 'PartnerRefundReported') || !granted || e.partnerId === salePartner;
  let status: TransactionStatus = 'entered';
  for (const e of sorted) if (counts(e) && precedence[statusOf(e)] > precedence[status]) status = statusOf(e);
  const released = first('ReservationReleased');
  const payments = sorted.filter((e) => e.type === 'PartnerPaymentReported');
  const refunds = sorted.filter((e) => e.type === 'PartnerRefundReported');
  const withSale = sorted.find((e) => 'saleId' in e);
  const withUser = sorted.find((e) => 'userId' in e);
  const sized = first('ClaimGranted', 'ClaimRejected', 'ClaimRequested', 'PaymentRedirectIssued') ?? payments[0];
  const priced = granted ?? redirected;
  return {
    transactionId,
    saleId: withSale && 'saleId' in withSale ? withSale.saleId : null,
    userId: withUser && 'userId' in withUser ? withUser.userId : null,
    status,
    reason: status === 'rejected' ? (rejected?.reason ?? null) : status === 'expired' ? (released?.reason ?? null) : null,
    slotIds: granted?.slotIds ?? [],
    expiresAt: (granted ?? redirected)?.expiresAt ?? null,
    quantity: sized?.quantity ?? 0,
    expectedAmountMinor: priced?.amountMinor ?? null,
    paidAmountMinor: payments.reduce((sum, p) => sum + p.amountMinor, 0),
    refundedAmountMinor: refunds.reduce((sum, r) => sum + r.amountMinor, 0),
    payments: payments.length,
    refunds: refunds.length,
    currency: (priced ?? payments[0] ?? refunds[0])?.currency ?? null,
    history: sorted.map(historyEntryOf),
  };
}

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
    const view = viewOf(s.transactionId, [b.entered(), b.granted(), b.redirected(), b.released(300_000), b.paid(300_500)]);
    expect(view.status).toBe('paid');
    expect(view.paidAmountMinor).toBe(1999);
  });

  it("never counts another partner's payment or refund for a granted transaction: it stays redirected, then expires", () => {
    const s = newStory();
    const b = story(s);
    const foreign = b.paid(40, 'evil-1', undefined, 'other-pay');
    const redirected = [b.entered(), b.granted(), b.redirected()];
    expect(viewOf(s.transactionId, [...redirected, foreign])).toMatchObject({ status: 'redirected', payments: 1, paidAmountMinor: 1999 });
    expect(viewOf(s.transactionId, [...redirected, foreign, b.released()])).toMatchObject({ status: 'expired', reason: 'expired' });
    expect(viewOf(s.transactionId, [...redirected, foreign, b.refunded(50, 'evil-r', 'other-pay')]).status).toBe('redirected');
    // The payment folded first seemed to pay an unknown transaction; the grant and the redirect take that back.
    expect(viewOf(s.transactionId, [foreign, ...redirected]).status).toBe('redirected');
    // Without a redirect, the settlement names the sale's partner.
    const own = b.paid(41);
    expect(viewOf(s.transactionId, [b.granted(), foreign, own, b.settled(own.eventId), b.refunded(50, 'evil-r', 'other-pay')]).status).toBe(
      'paid',
    );
  });

  it("waits for the redirect or the settlement before a granted transaction's payment counts", () => {
    const s = newStory();
    const b = story(s);
    const paid = b.paid();
    expect(viewOf(s.transactionId, [b.entered(), b.granted(), paid]).status).toBe('granted');
    expect(viewOf(s.transactionId, [b.entered(), b.granted(), paid, b.settled(paid.eventId)]).status).toBe('paid');
    expect(viewOf(s.transactionId, [b.entered(), b.granted(), paid, b.redirected()]).status).toBe('paid');
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
    expect(viewOf(s.transactionId, [b.refunded(), b.granted(), b.redirected(), b.paid()])).toMatchObject({
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
        expect(fold(s.transactionId, delivered)).toEqual(definition(s.transactionId, events));
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

  it('computes what the definition says for any mix of events, even ones no real story has (two grants, a refund alone...)', () => {
    const samples = sampleEvents();
    const kinds = transactionEventTypes;
    // Distinct events (ids e0, e1, ...) over few times, so ties broken by id are common, and
    // few values, so "which one came first" decides every field.
    const anyEvent = (i: number) =>
      fc
        .record({
          type: fc.constantFrom(...kinds),
          at: fc.integer({ min: 0, max: 3 }),
          saleId: fc.constantFrom('s1', 's2'),
          userId: fc.constantFrom('u1', 'u2'),
          quantity: fc.integer({ min: 1, max: 3 }),
          amountMinor: fc.constantFrom(100, 250),
          currency: fc.constantFrom('EUR', 'USD'),
          slot: fc.constantFrom('a', 'b'),
          expiresAt: fc.constantFrom(10, 20),
          rejection: fc.constantFrom('sold_out', 'limit_exceeded'),
          release: fc.constantFrom('expired', 'cancelled'),
          // Which partner redirects, reports or settled (a partner event's eventId, settled's payment).
          partnerId: fc.constantFrom('demo-pay', 'other-pay'),
        })
        .map((f): TransactionEvent => {
          const sample = samples[f.type];
          const event: Record<string, unknown> = { ...sample, eventId: `e${i}`, occurredAt: f.at, transactionId: 'tx' };
          for (const [field, value] of Object.entries({
            saleId: f.saleId,
            userId: f.userId,
            quantity: f.quantity,
            amountMinor: f.amountMinor,
            currency: f.currency,
            slotIds: [f.slot],
            expiresAt: f.expiresAt,
            reason: f.type === 'ClaimRejected' ? f.rejection : f.release,
            partnerId: f.partnerId,
            paymentEventId: `${f.partnerId}:p`,
          }))
            if (field in sample) event[field] = value;
          return event as TransactionEvent;
        });
    const mix = fc
      .integer({ min: 0, max: 8 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => anyEvent(i))))
      .chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray([...events, ...events], { minLength: events.length * 2 })));
    fc.assert(
      fc.property(mix, ([events, delivered]) => {
        expect(viewOf('tx', delivered)).toEqual(definition('tx', events));
      }),
      { numRuns: 2000 },
    );
  });
});
