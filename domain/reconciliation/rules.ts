// The join rules, one per fact. Each flag is raised at exactly one transition (a payment is
// judged, a release arrives, an earlier payment turns up), so none is raised twice, and each
// flag's fields depend only on the events involved, never on the order they came in.
import type { EventOf } from '../../schemas/events/index.js';
import { attributeSale } from './attribution.js';
import { type Figures, type MismatchKind, mismatchId } from './mismatch.js';
import { byArrival, figuresOf, firstPayment, type PartnerReport, type TransactionState } from './state.js';
import type { Working } from './working.js';

/** A mismatch on one partner report; `expected` is what our grant says, where there is one to compare with. */
type Finding = { kind: MismatchKind; report: PartnerReport; detectedAt: number; expected?: Figures };

function flag(w: Working, { kind, report: r, detectedAt, expected }: Finding): void {
  w.flag({
    mismatchId: mismatchId(kind, r.transactionId, r.eventId),
    kind,
    transactionId: r.transactionId,
    saleId: r.saleId,
    partnerEventId: r.eventId,
    expected: expected ?? null,
    actual: figuresOf(r),
    detectedAt,
  });
}

/** A transaction we never granted belongs to whatever sale our other events name, else to the one its time falls in. */
function saleFor(w: Working, tx: TransactionState, r: PartnerReport): string | null {
  return tx.saleId ?? attributeSale(w.sales.values(), r.partnerId, r.reportedAt);
}

/** The partner the transaction's sale belongs to, once both the sale and the transaction's place in it are known. */
function salePartner(w: Working, tx: TransactionState): string | undefined {
  return tx.saleId === null ? undefined : w.sales.get(tx.saleId)?.partnerId;
}

/** A report from a partner that is not the sale's own: it never settled anything, and is judged as nothing else. */
function fromOtherPartner(w: Working, tx: TransactionState, r: PartnerReport): boolean {
  const partner = salePartner(w, tx);
  return partner !== undefined && r.partnerId !== partner;
}

/** A grant's payments are judged once the sale's partner is known too (the sale comes first on its partition). */
const judgeable = (w: Working, tx: TransactionState) => tx.grant !== null && salePartner(w, tx) !== undefined;

/** Judges a payment once: against its grant if we know it, as unknown if its grace ran out first. */
function judgePayment(w: Working, tx: TransactionState, r: PartnerReport, at: number): void {
  r.resolvedAt = at;
  const grant = tx.grant;
  if (fromOtherPartner(w, tx, r)) {
    // Any partner can sign a webhook naming any transaction: this one is not the sale's,
    // settled nothing, and is neither the transaction's payment nor a duplicate of it.
    r.saleId = tx.saleId;
    flag(w, { kind: 'wrong_partner', report: r, detectedAt: at, ...(grant ? { expected: figuresOf(grant) } : {}) });
    return;
  }
  if (!grant) {
    r.saleId = saleFor(w, tx, r);
    // A refund of this payment (the same partner's, already in) belongs to the sale it was attributed to.
    for (const x of tx.reports) if (x.kind === 'refund' && x.partnerId === r.partnerId && x.saleId === null) x.saleId = r.saleId;
    flag(w, { kind: 'unknown_transaction', report: r, detectedAt: at });
  } else {
    r.saleId = tx.saleId;
    if (r.amountMinor !== grant.amountMinor || r.currency !== grant.currency)
      flag(w, { kind: 'amount_mismatch', report: r, detectedAt: at, expected: figuresOf(grant) });
    if (r.quantity !== grant.quantity) flag(w, { kind: 'quantity_mismatch', report: r, detectedAt: at, expected: figuresOf(grant) });
  }
  if (tx.release) flag(w, { kind: 'late_payment', report: r, detectedAt: Math.max(at, tx.release.at) });
  if (firstPayment(tx, salePartner(w, tx)) !== r) flag(w, { kind: 'duplicate_payment', report: r, detectedAt: at });
}

/** Judges the held payments of a transaction whose grant and sale are both known now. */
function judgeHeld(w: Working, tx: TransactionState, grantAt: number): void {
  for (const r of [...tx.reports].sort(byArrival)) {
    if (r.kind === 'payment' && r.resolvedAt === null) judgePayment(w, tx, r, Math.max(r.receivedAt, grantAt));
    else r.saleId = tx.saleId;
  }
}

export function onSaleScheduled(w: Working, e: EventOf<'SaleScheduled'>): void {
  if (w.sales.has(e.saleId)) return;
  w.addSale({
    saleId: e.saleId,
    partnerId: e.partnerId,
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    reservationSeconds: e.reservationSeconds,
    priceMinor: e.priceMinor,
    currency: e.currency,
  });
  // On its partition the sale comes before its grants, so live there is nothing here; a fold
  // given the events in another order judges the payments it held for the sale's partner now.
  for (const id of w.heldIn(e.saleId)) {
    const tx = w.tx(id);
    if (tx.grant) judgeHeld(w, tx, tx.grant.at);
  }
}

export function onClaimGranted(w: Working, e: EventOf<'ClaimGranted'>): void {
  const tx = w.tx(e.transactionId);
  if (tx.grant) return;
  tx.grant = { quantity: e.quantity, amountMinor: e.amountMinor, currency: e.currency, at: e.occurredAt };
  tx.saleId = e.saleId;
  // Partner events that came before our grant were held, not judged: judge them now, unless
  // the sale (and so its partner) is not known yet; then the sale judges them.
  if (judgeable(w, tx)) judgeHeld(w, tx, e.occurredAt);
  else for (const r of tx.reports) r.saleId = e.saleId;
}

export function onRedirect(w: Working, e: EventOf<'PaymentRedirectIssued'>): void {
  const tx = w.tx(e.transactionId);
  tx.redirectedAt ??= e.occurredAt;
  tx.saleId ??= e.saleId;
}

export function onReleased(w: Working, e: EventOf<'ReservationReleased'>): void {
  const tx = w.tx(e.transactionId);
  if (tx.release) return;
  tx.release = { reason: e.reason, at: e.occurredAt };
  tx.saleId ??= e.saleId;
  // The expiry won the race: every payment already judged was paid for slots that went back.
  for (const r of [...tx.reports].sort(byArrival))
    if (r.kind === 'payment' && r.resolvedAt !== null && !fromOtherPartner(w, tx, r))
      flag(w, { kind: 'late_payment', report: r, detectedAt: Math.max(r.resolvedAt, e.occurredAt) });
}

export function onSettled(w: Working, e: EventOf<'ReservationSettled'>): void {
  const tx = w.tx(e.transactionId);
  tx.settledBy ??= e.paymentEventId;
  tx.saleId ??= e.saleId;
}

function newReport(e: EventOf<'PartnerPaymentReported'> | EventOf<'PartnerRefundReported'>, tx: TransactionState): PartnerReport {
  return {
    eventId: e.eventId,
    partnerId: e.partnerId,
    partnerEventId: e.partnerEventId,
    transactionId: e.transactionId,
    kind: e.type === 'PartnerPaymentReported' ? 'payment' : 'refund',
    quantity: e.quantity,
    amountMinor: e.amountMinor,
    currency: e.currency,
    reportedAt: e.reportedAt,
    receivedAt: e.occurredAt,
    saleId: tx.grant ? tx.saleId : null,
    resolvedAt: null,
  };
}

export function onPayment(w: Working, e: EventOf<'PartnerPaymentReported'>): void {
  const tx = w.tx(e.transactionId);
  // The same partner event again is a redelivery, not a second payment.
  if (tx.reports.some((r) => r.eventId === e.eventId)) return;
  const partner = salePartner(w, tx);
  const before = firstPayment(tx, partner);
  const r = newReport(e, tx);
  tx.reports.push(r);
  // It was received before the payment we took as first: that one, already judged, is the
  // duplicate (unless this one is another partner's, which is no payment for this sale).
  if (before && byArrival(r, before) < 0 && before.resolvedAt !== null && !fromOtherPartner(w, tx, r))
    flag(w, { kind: 'duplicate_payment', report: before, detectedAt: before.resolvedAt });
  if (tx.grant && judgeable(w, tx)) judgePayment(w, tx, r, Math.max(r.receivedAt, tx.grant.at));
  else w.hold(r);
  // Refunds held for want of a payment now have one: a partner refunds its own payments.
  for (const refund of tx.reports)
    if (refund.kind === 'refund' && refund.resolvedAt === null && refund.partnerId === r.partnerId)
      refund.resolvedAt = Math.max(refund.receivedAt, r.receivedAt);
}

export function onRefund(w: Working, e: EventOf<'PartnerRefundReported'>): void {
  const tx = w.tx(e.transactionId);
  if (tx.reports.some((r) => r.eventId === e.eventId)) return;
  const r = newReport(e, tx);
  tx.reports.push(r);
  const paid = tx.reports.find((p) => p.kind === 'payment' && p.partnerId === r.partnerId);
  if (paid) {
    r.resolvedAt = r.receivedAt;
    // The refund of a payment we never granted belongs to the sale that payment was attributed to,
    // so the sale's books count it (paid = kept + refunded + writtenOff).
    r.saleId ??= paid.saleId;
  } else w.hold(r);
}

/** A held partner event whose grace ran out: nothing came to match it. */
export function onDeadline(w: Working, tx: TransactionState, r: PartnerReport, deadline: number): void {
  if (r.kind === 'payment') {
    judgePayment(w, tx, r, deadline);
    return;
  }
  r.resolvedAt = deadline;
  r.saleId = saleFor(w, tx, r);
  // A refund of nothing this partner paid: from another partner than the sale's, that is wrong_partner.
  flag(w, { kind: fromOtherPartner(w, tx, r) ? 'wrong_partner' : 'refund_without_payment', report: r, detectedAt: deadline });
}
