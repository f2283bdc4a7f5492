// The events the reconciliation decider's tests are written in: one sale of one partner, its
// grants and releases, the partner's payments and refunds, and a tick that moves the clock.
import type { EventOf } from '../../../schemas/events/index.js';

export const GRACE = 60_000;
export const T0 = Date.UTC(2026, 10, 25, 12);
export const SALE = 'sale-1';
export const PARTNER = 'demo-pay';

export const env = (at: number, eventId: string) => ({ eventId, occurredAt: at, correlationId: 'c', causationId: null });

export const scheduled = (saleId = SALE, startsAt = T0, endsAt = T0 + 3_600_000): EventOf<'SaleScheduled'> => ({
  type: 'SaleScheduled',
  ...env(T0 - 60_000, `scheduled:${saleId}`),
  saleId,
  productId: 'p',
  partnerId: PARTNER,
  stock: 10,
  priceMinor: 1000,
  currency: 'EUR',
  startsAt,
  endsAt,
  perUserLimit: 1,
  reservationSeconds: 120,
  challenge: 'none',
  maxOpenEntriesPerUser: null,
  shards: 1,
});
export const granted = (tx: string, at = T0, quantity = 1, amountMinor = 1000): EventOf<'ClaimGranted'> => ({
  type: 'ClaimGranted',
  ...env(at, `decision:${tx}`),
  transactionId: tx,
  saleId: SALE,
  userId: 'u',
  quantity,
  slotIds: ['s'],
  amountMinor,
  currency: 'EUR',
  expiresAt: at + 120_000,
});
export const released = (tx: string, at: number): EventOf<'ReservationReleased'> => ({
  type: 'ReservationReleased',
  ...env(at, `release:${tx}`),
  transactionId: tx,
  saleId: SALE,
  slotIds: ['s'],
  reason: 'expired',
});
export type Money = { quantity?: number; amountMinor?: number; currency?: string; partnerId?: string };
export const partnerFields = (tx: string, id: string, at: number, figures: Money) => ({
  ...env(at, `${figures.partnerId ?? PARTNER}:${id}`),
  partnerId: figures.partnerId ?? PARTNER,
  partnerEventId: id,
  transactionId: tx,
  quantity: figures.quantity ?? 1,
  amountMinor: figures.amountMinor ?? 1000,
  currency: figures.currency ?? 'EUR',
  reportedAt: at,
});
export const paid = (tx: string, id: string, at: number, figures: Money = {}): EventOf<'PartnerPaymentReported'> => ({
  type: 'PartnerPaymentReported',
  ...partnerFields(tx, id, at, figures),
});
export const refunded = (tx: string, id: string, at: number, figures: Money = {}): EventOf<'PartnerRefundReported'> => ({
  type: 'PartnerRefundReported',
  ...partnerFields(tx, id, at, figures),
});
/** A partner that signs webhooks too, but not for this sale. */
export const OTHER = 'other-pay';
/** Any event later in time: the clock moves on. */
export const tick = (at: number): EventOf<'SaleClosed'> => ({
  type: 'SaleClosed',
  ...env(at, `tick:${at}`),
  saleId: 'other',
  closedBy: 'op',
});
