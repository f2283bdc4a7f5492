// One transaction as the storefront, partners and auditors see it, folded from every event
// that names its TransactionID. Its events come from different topics (entries, claims,
// sales, redirects, partner-events), so they arrive in any order: the fold works on the SET
// of events seen, never on arrival order. Status is the highest-precedence fact, facts are
// taken from the earliest event by (occurredAt, eventId), and money is summed over distinct
// event ids, so any permutation, with any repetition, folds to the same view.
import type { FlashsaleEvent } from '../../schemas/events/index.js';

export const transactionEventTypes = [
  'EntryRecorded',
  'ClaimRequested',
  'ClaimGranted',
  'ClaimRejected',
  'PaymentRedirectIssued',
  'ReservationReleased',
  'ReservationSettled',
  'PartnerPaymentReported',
  'PartnerRefundReported',
] as const;

export type TransactionEventType = (typeof transactionEventTypes)[number];
export type TransactionEvent = Extract<FlashsaleEvent, { type: TransactionEventType }>;

const transactionTypes: ReadonlySet<string> = new Set(transactionEventTypes);

export function isTransactionEvent(event: FlashsaleEvent): event is TransactionEvent {
  return transactionTypes.has(event.type);
}

export type TransactionStatus = 'entered' | 'pending' | 'granted' | 'rejected' | 'redirected' | 'paid' | 'expired' | 'refunded';

/**
 * Which fact wins when several are known. A late payment after an expiry is still money
 * taken (paid; reconciliation flags it); a refund ends the story. Granted outranks rejected
 * only so that an impossible pair still folds deterministically.
 */
const precedence: Record<TransactionStatus, number> = {
  entered: 0,
  pending: 1,
  rejected: 2,
  granted: 3,
  redirected: 4,
  expired: 5,
  paid: 6,
  refunded: 7,
};

function statusOf(event: TransactionEvent): TransactionStatus {
  switch (event.type) {
    case 'EntryRecorded':
      return 'entered';
    case 'ClaimRequested':
      return 'pending';
    case 'ClaimGranted':
      return 'granted';
    case 'ClaimRejected':
      return 'rejected';
    case 'PaymentRedirectIssued':
      return 'redirected';
    case 'ReservationReleased':
      return 'expired';
    case 'ReservationSettled':
    case 'PartnerPaymentReported':
      return 'paid';
    case 'PartnerRefundReported':
      return 'refunded';
  }
}

export type HistoryEntry = { type: TransactionEventType; at: number; eventId: string };

export type TransactionView = {
  transactionId: string;
  /** Null while only the partner has spoken of it (an unknown transaction). */
  saleId: string | null;
  userId: string | null;
  status: TransactionStatus;
  /** Why it was rejected, or why its reservation ended (expired, cancelled). */
  reason: string | null;
  slotIds: string[];
  /** Epoch ms. */
  expiresAt: number | null;
  quantity: number;
  /** What we asked for: the granted (or redirected) amount. */
  expectedAmountMinor: number | null;
  /** Sum of the distinct payments the partner reported. */
  paidAmountMinor: number;
  refundedAmountMinor: number;
  payments: number;
  refunds: number;
  currency: string | null;
  /** Every event, ordered by (occurredAt, eventId). */
  history: HistoryEntry[];
};

/** The events seen so far, by eventId: the first copy of an id is kept, later copies change nothing. */
export type TransactionEvents = ReadonlyMap<string, TransactionEvent>;

export const noEvents: TransactionEvents = new Map();

export function evolve(state: TransactionEvents, event: TransactionEvent): TransactionEvents {
  if (state.has(event.eventId)) return state;
  return new Map(state).set(event.eventId, event);
}

function byTimeThenId(a: TransactionEvent, b: TransactionEvent): number {
  return a.occurredAt - b.occurredAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/** The view of one transaction from the set of its events. */
export function viewOf(transactionId: string, events: Iterable<TransactionEvent>): TransactionView {
  const unique = new Map<string, TransactionEvent>();
  for (const e of events) if (!unique.has(e.eventId)) unique.set(e.eventId, e);
  const sorted = [...unique.values()].sort(byTimeThenId);
  const first = <T extends TransactionEventType>(...types: T[]) =>
    sorted.find((e): e is Extract<TransactionEvent, { type: T }> => (types as string[]).includes(e.type));

  let status: TransactionStatus = 'entered';
  for (const e of sorted) if (precedence[statusOf(e)] > precedence[status]) status = statusOf(e);

  const granted = first('ClaimGranted');
  const rejected = first('ClaimRejected');
  const redirected = first('PaymentRedirectIssued');
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
    history: sorted.map((e) => ({ type: e.type, at: e.occurredAt, eventId: e.eventId })),
  };
}
