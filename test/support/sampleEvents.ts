// One valid example of every event type, for round-trip tests.
import crypto from 'node:crypto';
import type { EventOf, EventType, FlashsaleEvent } from '../../schemas/events/index.js';

const envelope = (transactionId = 'tx-1') => ({
  eventId: crypto.randomUUID(),
  occurredAt: Date.UTC(2026, 10, 25, 12),
  correlationId: transactionId,
  causationId: null,
});

export function sampleEvents(saleId = 'sale-1'): { [T in EventType]: EventOf<T> } {
  const tx = 'tx-1';
  return {
    SaleScheduled: {
      type: 'SaleScheduled',
      ...envelope(saleId),
      saleId,
      productId: 'p-1',
      partnerId: 'demo-pay',
      stock: 10,
      priceMinor: 1999,
      currency: 'EUR',
      startsAt: 1,
      endsAt: 2,
      perUserLimit: 1,
      reservationSeconds: 300,
      challenge: 'pow',
      maxOpenEntriesPerUser: null,
    },
    SaleClosed: { type: 'SaleClosed', ...envelope(saleId), saleId, closedBy: 'operator-1' },
    ClaimGranted: {
      type: 'ClaimGranted',
      ...envelope(),
      transactionId: tx,
      saleId,
      userId: 'u-1',
      quantity: 1,
      slotIds: [`${saleId}:1`],
      amountMinor: 1999,
      currency: 'EUR',
      expiresAt: 3,
    },
    ClaimRejected: {
      type: 'ClaimRejected',
      ...envelope(),
      transactionId: tx,
      saleId,
      userId: 'u-1',
      quantity: 1,
      reason: 'sold_out',
      decidedBy: 'decision_maker',
    },
    ReservationReleased: {
      type: 'ReservationReleased',
      ...envelope(),
      transactionId: tx,
      saleId,
      slotIds: [`${saleId}:1`],
      reason: 'expired',
    },
    ReservationSettled: { type: 'ReservationSettled', ...envelope(), transactionId: tx, saleId, paymentEventId: 'demo-pay:evt-1' },
    EntryRecorded: { type: 'EntryRecorded', ...envelope(), transactionId: tx, saleId, userId: 'u-1' },
    ClaimRequested: { type: 'ClaimRequested', ...envelope(), transactionId: tx, saleId, userId: 'u-1', quantity: 1 },
    PaymentRedirectIssued: {
      type: 'PaymentRedirectIssued',
      ...envelope(),
      transactionId: tx,
      saleId,
      userId: 'u-1',
      partnerId: 'demo-pay',
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      expiresAt: 3,
    },
    PartnerPaymentReported: {
      type: 'PartnerPaymentReported',
      ...envelope(),
      partnerId: 'demo-pay',
      partnerEventId: 'evt-1',
      transactionId: tx,
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      reportedAt: 4,
    },
    PartnerRefundReported: {
      type: 'PartnerRefundReported',
      ...envelope(),
      partnerId: 'demo-pay',
      partnerEventId: 'evt-2',
      transactionId: tx,
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      reportedAt: 5,
    },
    MismatchFlagged: {
      type: 'MismatchFlagged',
      ...envelope(),
      transactionId: tx,
      saleId,
      kind: 'amount_mismatch',
      expected: { quantity: 1, amountMinor: 1999, currency: 'EUR' },
      actual: { quantity: 1, amountMinor: 999, currency: 'EUR' },
      partnerEventId: 'demo-pay:evt-1',
    },
  };
}

export function allSampleEvents(saleId?: string): FlashsaleEvent[] {
  return Object.values(sampleEvents(saleId));
}
