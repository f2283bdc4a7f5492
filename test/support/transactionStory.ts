// The events of one transaction's life, built with real-looking values, and a fast-check
// arbitrary over the shapes such a life can take (granted or rejected, redirected or not,
// expired, paid zero, once or twice, refunded, reported by the partner alone).
import crypto from 'node:crypto';
import fc from 'fast-check';
import type { TransactionEvent } from '../../domain/transactions/transaction.js';

export type Story = {
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: number;
  priceMinor: number;
  t0: number;
};

export function newStory(over: Partial<Story> = {}): Story {
  return {
    transactionId: crypto.randomUUID(),
    saleId: 'sale-1',
    userId: 'u-1',
    quantity: 1,
    priceMinor: 1999,
    t0: Date.UTC(2026, 10, 25, 12),
    ...over,
  };
}

const env = (s: Story, eventId: string, at: number) => ({
  eventId,
  occurredAt: s.t0 + at,
  correlationId: s.transactionId,
  causationId: null,
});

/** Event builders; `at` is ms after the story's t0. */
export const story = (s: Story) => ({
  entered: (at = 0): TransactionEvent => ({
    type: 'EntryRecorded',
    ...env(s, `entry:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    userId: s.userId,
  }),
  requested: (at = 10): TransactionEvent => ({
    type: 'ClaimRequested',
    ...env(s, `claim:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    userId: s.userId,
    quantity: s.quantity,
    shard: 0,
  }),
  granted: (at = 20): TransactionEvent => ({
    type: 'ClaimGranted',
    ...env(s, `decision:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    userId: s.userId,
    quantity: s.quantity,
    slotIds: Array.from({ length: s.quantity }, (_, i) => `${s.saleId}:${i + 1}`),
    amountMinor: s.priceMinor * s.quantity,
    currency: 'EUR',
    expiresAt: s.t0 + 300_000,
  }),
  rejected: (at = 20, reason: 'sold_out' | 'limit_exceeded' = 'sold_out'): TransactionEvent => ({
    type: 'ClaimRejected',
    ...env(s, `decision:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    userId: s.userId,
    quantity: s.quantity,
    reason,
    decidedBy: 'decision_maker',
  }),
  redirected: (at = 30): TransactionEvent => ({
    type: 'PaymentRedirectIssued',
    ...env(s, `redirect:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    userId: s.userId,
    partnerId: 'demo-pay',
    quantity: s.quantity,
    amountMinor: s.priceMinor * s.quantity,
    currency: 'EUR',
    expiresAt: s.t0 + 300_000,
  }),
  released: (at = 300_000): TransactionEvent => ({
    type: 'ReservationReleased',
    ...env(s, `release:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    slotIds: Array.from({ length: s.quantity }, (_, i) => `${s.saleId}:${i + 1}`),
    reason: 'expired',
  }),
  paid: (
    at = 40,
    partnerEventId = `pay-1-${s.transactionId}`,
    amountMinor = s.priceMinor * s.quantity,
    partnerId = 'demo-pay',
  ): TransactionEvent => ({
    type: 'PartnerPaymentReported',
    ...env(s, `${partnerId}:${partnerEventId}`, at),
    partnerId,
    partnerEventId,
    transactionId: s.transactionId,
    quantity: s.quantity,
    amountMinor,
    currency: 'EUR',
    reportedAt: s.t0 + at - 5,
  }),
  settled: (paymentEventId: string, at = 45): TransactionEvent => ({
    type: 'ReservationSettled',
    ...env(s, `settle:${s.transactionId}`, at),
    transactionId: s.transactionId,
    saleId: s.saleId,
    paymentEventId,
  }),
  refunded: (at = 50, partnerEventId = `refund-1-${s.transactionId}`, partnerId = 'demo-pay'): TransactionEvent => ({
    type: 'PartnerRefundReported',
    ...env(s, `${partnerId}:${partnerEventId}`, at),
    partnerId,
    partnerEventId,
    transactionId: s.transactionId,
    quantity: s.quantity,
    amountMinor: s.priceMinor * s.quantity,
    currency: 'EUR',
    reportedAt: s.t0 + at - 5,
  }),
});

type Outcome = 'partner-only' | 'entered' | 'pending' | 'rejected' | 'granted';

/** Our own events of the story, up to its outcome; `at(i)` is the time of the i-th step. */
function ourEvents(
  b: ReturnType<typeof story>,
  { outcome, redirected, expired }: { outcome: Outcome; redirected: boolean; expired: boolean },
  at: (i: number) => number,
): TransactionEvent[] {
  const events: TransactionEvent[] = [];
  if (outcome !== 'partner-only') events.push(b.entered(at(0)));
  if (outcome === 'pending' || outcome === 'rejected' || outcome === 'granted') events.push(b.requested(at(1)));
  if (outcome === 'rejected') events.push(b.rejected(at(2)));
  if (outcome === 'granted') {
    events.push(b.granted(at(2)));
    if (redirected) events.push(b.redirected(at(3)));
    if (expired) events.push(b.released(at(4)));
  }
  return events;
}

/** Every event of one transaction's life, in the order it happened; times may tie. */
export function storyArbitrary(s: Story = newStory()): fc.Arbitrary<TransactionEvent[]> {
  return fc
    .record({
      outcome: fc.constantFrom<Outcome>('partner-only', 'entered', 'pending', 'rejected', 'granted'),
      redirected: fc.boolean(),
      expired: fc.boolean(),
      payments: fc.integer({ min: 0, max: 2 }),
      refunded: fc.boolean(),
      // Another partner paying (and maybe refunding) for this transaction too.
      foreign: fc.constantFrom('none', 'paid', 'refunded'),
      // Small gaps so that equal timestamps (ties broken by eventId) happen too.
      gaps: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 8, maxLength: 8 }),
    })
    .map(({ outcome, redirected, expired, payments: reported, refunded, foreign, gaps }) => {
      // A transaction only the partner speaks of exists because it reported a payment.
      const payments = outcome === 'partner-only' ? Math.max(reported, 1) : reported;
      const b = story(s);
      let t = 0;
      const at = (i: number) => (t += gaps[i] ?? 1);
      const events: TransactionEvent[] = ourEvents(b, { outcome, redirected, expired }, at);
      const paymentIds: string[] = [];
      for (let i = 0; i < payments; i++) {
        const p = b.paid(at(5 + i), `pay-${i + 1}-${s.transactionId}`);
        paymentIds.push(p.eventId);
        events.push(p);
      }
      if (outcome === 'granted' && !expired && paymentIds[0]) events.push(b.settled(paymentIds[0], at(7)));
      if (refunded && payments > 0) events.push(b.refunded(at(7)));
      if (foreign !== 'none') events.push(b.paid(at(6), `evil-${s.transactionId}`, undefined, 'other-pay'));
      if (foreign === 'refunded') events.push(b.refunded(at(7), `evil-refund-${s.transactionId}`, 'other-pay'));
      return events;
    });
}
