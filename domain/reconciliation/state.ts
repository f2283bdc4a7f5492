// What reconciliation remembers between events: the sales (to attribute strangers), and per
// TransactionID what we granted, redirected, released, and what the partner reported.
import type { Figures } from './mismatch.js';

export type SaleTerms = {
  saleId: string;
  partnerId: string;
  startsAt: number;
  endsAt: number;
  reservationSeconds: number;
  priceMinor: number;
  currency: string;
};

export type PartnerReport = Figures & {
  /** Our eventId, `<partnerId>:<partnerEventId>`: a redelivery carries the same one. */
  eventId: string;
  partnerId: string;
  partnerEventId: string;
  transactionId: string;
  kind: 'payment' | 'refund';
  /** The partner's own time for it. */
  reportedAt: number;
  /** When we recorded it (the event's occurredAt): its grace period runs from here. */
  receivedAt: number;
  saleId: string | null;
  /**
   * Event time at which it was judged: a payment once its grant is known or its grace ran
   * out, a refund once a payment is known or its grace ran out. Null while held.
   */
  resolvedAt: number | null;
};

export type TransactionState = {
  transactionId: string;
  saleId: string | null;
  grant: (Figures & { at: number }) | null;
  redirectedAt: number | null;
  release: { reason: 'expired' | 'cancelled'; at: number } | null;
  settledBy: string | null;
  reports: PartnerReport[];
};

export type ReconciliationState = {
  /** The latest event time seen (or reached by the clock once caught up): deadlines at or before it have passed. */
  watermark: number;
  sales: ReadonlyMap<string, SaleTerms>;
  transactions: ReadonlyMap<string, TransactionState>;
};

export const initialState: ReconciliationState = { watermark: 0, sales: new Map(), transactions: new Map() };

export function emptyTransaction(transactionId: string): TransactionState {
  return { transactionId, saleId: null, grant: null, redirectedAt: null, release: null, settledBy: null, reports: [] };
}

/** Partner events in the order we received them; ties broken by id so every replay agrees. */
export function byArrival(a: PartnerReport, b: PartnerReport): number {
  return a.receivedAt - b.receivedAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/**
 * The payment that counts: the first received from the sale's partner (any partner while
 * that is not known). Any other distinct payment of that partner is a duplicate; another
 * partner's payment is not a payment for this sale at all (wrong_partner).
 */
export function firstPayment(tx: TransactionState, salePartnerId?: string): PartnerReport | undefined {
  let first: PartnerReport | undefined;
  for (const r of tx.reports)
    if (r.kind === 'payment' && (salePartnerId === undefined || r.partnerId === salePartnerId) && (!first || byArrival(r, first) < 0))
      first = r;
  return first;
}

export function figuresOf(x: Figures): Figures {
  return { quantity: x.quantity, amountMinor: x.amountMinor, currency: x.currency };
}
