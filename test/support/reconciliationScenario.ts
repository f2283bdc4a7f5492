// A generated sale for reconciliation tests: thousands of transactions, most of them clean
// (paid once, or expired unpaid), with faults of every stream kind planted at random on
// distinct transactions, plus things that must NOT be flagged (redelivered webhooks, refunds
// of real payments, partner events published before ours, another partner refunding its own
// payment). Seeded, so a failure replays.
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';
import type { StreamMismatchKind } from '../../domain/reconciliation/mismatch.js';

export type Planted = { kind: StreamMismatchKind; transactionId: string; partnerEventId: string };

export type Scenario = {
  sale: EventOf<'SaleScheduled'>;
  /** Our events (sales and redirects topics), in event-time order. */
  ours: FlashsaleEvent[];
  /** The partner's events, in event-time order, redeliveries included. */
  partner: FlashsaleEvent[];
  /** Some of `partner` that a test may publish before `ours`: they must be held, not flagged. */
  early: FlashsaleEvent[];
  planted: Planted[];
  totals: {
    internal: { granted: number; refused: number; redirected: number; expired: number; quantity: number; amountMinor: number };
    partner: { paid: number; refunded: number; quantity: number; amountMinor: number };
  };
  /** The latest event time in the scenario. */
  lastAt: number;
};

export type ScenarioOptions = {
  seed: number;
  transactions: number;
  faultsPerKind: number;
  startAt: number;
  /** Event time between two grants. */
  stepMs?: number;
  saleId?: string;
  partnerId?: string;
};

/** The partner that pays (or refunds) for transactions of a sale it does not belong to. */
export const OTHER_PARTNER = 'other-pay';

const STREAM_KINDS: StreamMismatchKind[] = [
  'unknown_transaction',
  'late_payment',
  'amount_mismatch',
  'quantity_mismatch',
  'duplicate_payment',
  'refund_without_payment',
  'wrong_partner',
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Fate = 'paid' | 'expired' | 'refunded' | 'redelivered' | Exclude<StreamMismatchKind, 'unknown_transaction'>;

export function generateScenario(opts: ScenarioOptions): Scenario {
  const rng = mulberry32(opts.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rng() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  const { transactions: n, faultsPerKind: k, startAt: t0 } = opts;
  const step = opts.stepMs ?? 50;
  const saleId = opts.saleId ?? `sale-${hex(6)}`;
  const partnerId = opts.partnerId ?? 'demo-pay';
  const priceMinor = 1999;
  const currency = 'EUR';
  const reservationMs = 120_000;
  const envelope = (at: number, correlationId: string, eventId: string = uuid()) => ({
    eventId,
    occurredAt: at,
    correlationId,
    causationId: null,
  });

  const sale: EventOf<'SaleScheduled'> = {
    type: 'SaleScheduled',
    ...envelope(t0 - 60_000, saleId),
    saleId,
    productId: `${saleId}-product`,
    partnerId,
    stock: n * 2,
    priceMinor,
    currency,
    startsAt: t0,
    endsAt: t0 + n * step + 60_000,
    perUserLimit: 2,
    reservationSeconds: reservationMs / 1000,
    challenge: 'none',
    maxOpenEntriesPerUser: null,
    shards: 1,
  };

  // Faults on distinct transactions (so each is exactly one flag), the rest clean.
  const fates: Fate[] = Array.from({ length: n }, () => (rng() < 0.12 ? 'expired' : 'paid'));
  const slots = Array.from({ length: n }, (_, i) => i).sort(() => rng() - 0.5);
  const take = (fate: Fate, count: number) => {
    for (let j = 0; j < count; j++) {
      const i = slots.pop();
      if (i === undefined) throw new Error('scenario too small for its faults');
      fates[i] = fate;
    }
  };
  take('late_payment', k);
  take('amount_mismatch', k);
  take('quantity_mismatch', k);
  take('duplicate_payment', k);
  take('refund_without_payment', Math.ceil(k / 2));
  take('wrong_partner', k);
  take('refunded', k);
  take('redelivered', k);

  const ours: FlashsaleEvent[] = [sale];
  const partner: FlashsaleEvent[] = [];
  const planted: Planted[] = [];
  const totals: Scenario['totals'] = {
    internal: { granted: 0, refused: 0, redirected: 0, expired: 0, quantity: 0, amountMinor: 0 },
    partner: { paid: 0, refunded: 0, quantity: 0, amountMinor: 0 },
  };

  const report = (
    type: 'PartnerPaymentReported' | 'PartnerRefundReported',
    transactionId: string,
    at: number,
    { from = partnerId, ...figures }: { quantity: number; amountMinor: number; from?: string },
  ) => {
    const partnerEventId = `pe-${uuid()}`;
    const event = {
      type,
      ...envelope(at, transactionId, `${from}:${partnerEventId}`),
      partnerId: from,
      partnerEventId,
      transactionId,
      quantity: figures.quantity,
      amountMinor: figures.amountMinor,
      currency,
      reportedAt: at - int(0, 500),
    } as EventOf<'PartnerPaymentReported'> | EventOf<'PartnerRefundReported'>;
    partner.push(event);
    if (type === 'PartnerPaymentReported') {
      totals.partner.paid++;
      totals.partner.quantity += figures.quantity;
      totals.partner.amountMinor += figures.amountMinor;
    } else totals.partner.refunded++;
    return event;
  };

  for (let i = 0; i < n; i++) {
    const fate = fates[i]!;
    const transactionId = uuid();
    const grantedAt = t0 + i * step;
    const quantity = int(1, 2);
    const amountMinor = quantity * priceMinor;
    const expiresAt = grantedAt + reservationMs;
    ours.push({
      type: 'ClaimGranted',
      ...envelope(grantedAt, transactionId, `decision:${transactionId}`),
      transactionId,
      saleId,
      userId: `user-${i}`,
      quantity,
      slotIds: [`${saleId}:${i}`],
      amountMinor,
      currency,
      expiresAt,
    });
    totals.internal.granted++;
    // Another partner pays instead of the sale's (the reservation then expires), besides it
    // (the sale's partner settles), or refunds a payment it never took.
    const attack = fate === 'wrong_partner' ? (['instead', 'besides', 'refund'] as const)[int(0, 2)]! : null;
    const byOther = { quantity, amountMinor, from: OTHER_PARTNER };
    const released = fate === 'expired' || fate === 'late_payment' || fate === 'refund_without_payment' || attack === 'instead';
    if (!released || rng() < 0.5) {
      ours.push({
        type: 'PaymentRedirectIssued',
        ...envelope(grantedAt + int(500, 1500), transactionId),
        transactionId,
        saleId,
        userId: `user-${i}`,
        partnerId,
        quantity,
        amountMinor,
        currency,
        expiresAt,
      });
      totals.internal.redirected++;
    }
    if (attack === 'instead') {
      const foreign = report('PartnerPaymentReported', transactionId, grantedAt + int(2000, 60_000), byOther);
      planted.push({ kind: 'wrong_partner', transactionId, partnerEventId: foreign.eventId });
    }
    if (released) {
      const at = expiresAt + int(0, 1000);
      ours.push({
        type: 'ReservationReleased',
        ...envelope(at, transactionId, `release:${transactionId}`),
        transactionId,
        saleId,
        slotIds: [`${saleId}:${i}`],
        reason: 'expired',
      });
      totals.internal.expired++;
      if (fate === 'late_payment') {
        const late = report('PartnerPaymentReported', transactionId, at + int(1000, 20_000), { quantity, amountMinor });
        planted.push({ kind: 'late_payment', transactionId, partnerEventId: late.eventId });
      }
      if (fate === 'refund_without_payment') {
        const refund = report('PartnerRefundReported', transactionId, at + int(1000, 20_000), { quantity, amountMinor });
        planted.push({ kind: 'refund_without_payment', transactionId, partnerEventId: refund.eventId });
      }
      continue;
    }
    totals.internal.quantity += quantity;
    totals.internal.amountMinor += amountMinor;
    const paidAt = grantedAt + int(2000, 60_000);
    const figures =
      fate === 'amount_mismatch'
        ? { quantity, amountMinor: amountMinor + (rng() < 0.5 ? -1 : 1) * int(1, 500) }
        : fate === 'quantity_mismatch'
          ? { quantity: quantity + 1, amountMinor }
          : { quantity, amountMinor };
    const payment = report('PartnerPaymentReported', transactionId, paidAt, figures);
    ours.push({
      type: 'ReservationSettled',
      ...envelope(paidAt + 10, transactionId, `settle:${transactionId}`),
      transactionId,
      saleId,
      paymentEventId: payment.eventId,
    });
    if (fate === 'amount_mismatch' || fate === 'quantity_mismatch')
      planted.push({ kind: fate, transactionId, partnerEventId: payment.eventId });
    if (fate === 'duplicate_payment') {
      const second = report('PartnerPaymentReported', transactionId, paidAt + int(1000, 30_000), { quantity, amountMinor });
      planted.push({ kind: 'duplicate_payment', transactionId, partnerEventId: second.eventId });
    }
    if (fate === 'refunded') report('PartnerRefundReported', transactionId, paidAt + int(10_000, 60_000), { quantity, amountMinor });
    if (attack === 'besides') {
      // Received before or after the sale's partner's payment: never the transaction's payment, never a duplicate.
      const foreignAt = paidAt + int(-1000, 30_000);
      const foreign = report('PartnerPaymentReported', transactionId, foreignAt, byOther);
      planted.push({ kind: 'wrong_partner', transactionId, partnerEventId: foreign.eventId });
      // Refunding its own payment is that partner's business: no further flag.
      if (rng() < 0.5) report('PartnerRefundReported', transactionId, foreignAt + int(1000, 20_000), byOther);
    }
    if (attack === 'refund') {
      const foreign = report('PartnerRefundReported', transactionId, paidAt + int(1000, 30_000), byOther);
      planted.push({ kind: 'wrong_partner', transactionId, partnerEventId: foreign.eventId });
    }
    if (fate === 'redelivered') partner.push({ ...payment });
  }

  // Strangers: payments (and a refund or two) for TransactionIDs we never granted, inside the sale's window.
  for (let j = 0; j < k; j++) {
    const transactionId = uuid();
    const payment = report('PartnerPaymentReported', transactionId, t0 + int(0, n * step), { quantity: 1, amountMinor: priceMinor });
    planted.push({ kind: 'unknown_transaction', transactionId, partnerEventId: payment.eventId });
  }
  for (let j = 0; j < Math.floor(k / 2); j++) {
    const transactionId = uuid();
    const refund = report('PartnerRefundReported', transactionId, t0 + int(0, n * step), { quantity: 1, amountMinor: priceMinor });
    planted.push({ kind: 'refund_without_payment', transactionId, partnerEventId: refund.eventId });
  }

  const byTime = (a: FlashsaleEvent, b: FlashsaleEvent) => a.occurredAt - b.occurredAt;
  ours.sort(byTime);
  partner.sort(byTime);
  // Clean payments that a test may deliver before our events: they must wait for their grants.
  const flaggedIds = new Set(planted.map((p) => p.partnerEventId));
  const early = partner.filter((e) => e.type === 'PartnerPaymentReported' && !flaggedIds.has(e.eventId) && rng() < 0.05);
  const lastAt = Math.max(ours.at(-1)!.occurredAt, partner.at(-1)?.occurredAt ?? 0);
  return { sale, ours, partner, early, planted, totals, lastAt };
}

export const streamKinds = STREAM_KINDS;
