// One transaction as the storefront, partners and auditors see it, folded from every event
// that names its TransactionID. Its events come from different topics (entries, claims,
// sales, redirects, partner-events), so they arrive in any order: the fold depends on the SET
// of events seen, never on arrival order. Status is the highest-precedence fact, facts are
// taken from the earliest event by (occurredAt, eventId), and money is summed over distinct
// event ids, so any permutation, with any repetition, folds to the same view. The fold is
// incremental (evolveView): the projection keeps the view, not the events, and adds each new
// event to it.
//
// The partner's word alone never makes a granted transaction paid or refunded when it comes
// from a partner other than the sale's: any partner can sign a webhook naming any transaction.
// The sale's partner is the one the shopper was redirected to (PaymentRedirectIssued), or the
// one whose payment settled the reservation (settlement checks the sale's partner). A granted
// transaction's partner events count for its status only from that partner; while neither is
// known they do not count at all (a shopper pays through the redirect; until it or the
// settlement is folded, the view waits). Money is still summed as the partners reported it.
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
export const precedence: Record<TransactionStatus, number> = {
  entered: 0,
  pending: 1,
  rejected: 2,
  granted: 3,
  redirected: 4,
  expired: 5,
  paid: 6,
  refunded: 7,
};

export function statusOf(event: TransactionEvent): TransactionStatus {
  return statusOfType(event.type);
}

function statusOfType(type: TransactionEventType): TransactionStatus {
  switch (type) {
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

/**
 * One event in the view's history. Beside type, time and id it keeps what the status is
 * recomputed from, whatever order events come in: the partner a redirect, settlement, payment or
 * refund names, and the reason of a refusal or a release. (Rows written before these were kept
 * lack them; see judge.)
 */
export type HistoryEntry = {
  type: TransactionEventType;
  at: number;
  eventId: string;
  partnerId?: string;
  reason?: string;
};

/** The partner a settlement's payment came from: our eventIds of partner events are `<partnerId>:<partnerEventId>`. */
const partnerOfPayment = (paymentEventId: string) => paymentEventId.slice(0, Math.max(paymentEventId.indexOf(':'), 0));

export function historyEntryOf(event: TransactionEvent): HistoryEntry {
  const entry: HistoryEntry = { type: event.type, at: event.occurredAt, eventId: event.eventId };
  switch (event.type) {
    case 'PaymentRedirectIssued':
    case 'PartnerPaymentReported':
    case 'PartnerRefundReported':
      return { ...entry, partnerId: event.partnerId };
    case 'ReservationSettled':
      return { ...entry, partnerId: partnerOfPayment(event.paymentEventId) };
    case 'ClaimRejected':
    case 'ReservationReleased':
      return { ...entry, reason: event.reason };
    case 'EntryRecorded':
    case 'ClaimRequested':
    case 'ClaimGranted':
      return entry;
  }
}

const isPartnerReport = (type: TransactionEventType) => type === 'PartnerPaymentReported' || type === 'PartnerRefundReported';

/**
 * The status and its reason, from the whole history: the highest-precedence fact, where a
 * granted transaction's partner events count only from the sale's partner (see the top).
 * `fallbackReason` serves rows from before history entries kept their reason.
 */
export function judge(history: readonly HistoryEntry[], fallbackReason: string | null = null) {
  const first = (type: TransactionEventType) => history.find((h) => h.type === type);
  const granted = first('ClaimGranted') !== undefined;
  const redirect = first('PaymentRedirectIssued');
  // A redirect recorded before entries named their partner: its partner is unknown, and every report counts, as it did then.
  const legacy = redirect !== undefined && redirect.partnerId === undefined;
  const salePartner = redirect?.partnerId ?? first('ReservationSettled')?.partnerId;
  const counts = (h: HistoryEntry) =>
    !isPartnerReport(h.type) || !granted || legacy || h.partnerId === undefined || h.partnerId === salePartner;
  let status: TransactionStatus = 'entered';
  for (const h of history) {
    const candidate = statusOfType(h.type);
    if (counts(h) && precedence[candidate] > precedence[status]) status = candidate;
  }
  const because = (type: TransactionEventType) => first(type)?.reason ?? fallbackReason;
  const reason = status === 'rejected' ? because('ClaimRejected') : status === 'expired' ? because('ReservationReleased') : null;
  return { status, reason };
}

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

type Key = { at: number; eventId: string };

/** The order the view's facts follow: (occurredAt, eventId), so every copy agrees on "first". */
function before(a: Key, b: Key): boolean {
  return a.at < b.at || (a.at === b.at && a.eventId < b.eventId);
}

const keyOf = (e: TransactionEvent): Key => ({ at: e.occurredAt, eventId: e.eventId });

type Types = ReadonlySet<TransactionEventType>;

/** Event types by the facts they carry, checked against the schemas: every type with the field, and no other. */
const typesWith = <K extends string>(types: Record<K, true>): Types => new Set(Object.keys(types) as TransactionEventType[]);
const withSale = typesWith<Extract<TransactionEvent, { saleId: string }>['type']>({
  EntryRecorded: true,
  ClaimRequested: true,
  ClaimGranted: true,
  ClaimRejected: true,
  PaymentRedirectIssued: true,
  ReservationReleased: true,
  ReservationSettled: true,
});
const withUser = typesWith<Extract<TransactionEvent, { userId: string }>['type']>({
  EntryRecorded: true,
  ClaimRequested: true,
  ClaimGranted: true,
  ClaimRejected: true,
  PaymentRedirectIssued: true,
});
/** Where the quantity comes from, before any payment: what was asked, granted or refused. */
const sizing: Types = new Set(['ClaimGranted', 'ClaimRejected', 'ClaimRequested', 'PaymentRedirectIssued']);
/** Each type on its own, built once (evolveView runs for every event a projection applies). */
const only = {} as Record<TransactionEventType, Types>;
for (const type of transactionEventTypes) only[type] = new Set([type]);

export function emptyView(transactionId: string): TransactionView {
  return {
    transactionId,
    saleId: null,
    userId: null,
    status: 'entered',
    reason: null,
    slotIds: [],
    expiresAt: null,
    quantity: 0,
    expectedAmountMinor: null,
    paidAmountMinor: 0,
    refundedAmountMinor: 0,
    payments: 0,
    refunds: 0,
    currency: null,
    history: [],
  };
}

/**
 * One more event into a transaction's view. Facts come from the earliest event that carries
 * them, so an event takes a fact over only if it comes before every event of the kinds that
 * supply it (read from the history, which lists every event once, in order). Status is
 * judged over the history, money adds up over distinct event ids, and an event already in the
 * history changes nothing: any order, any repetition, the same view (checked as a property).
 */
export function evolveView(view: TransactionView, event: TransactionEvent): TransactionView {
  const { history } = view;
  if (history.some((h) => h.eventId === event.eventId)) return view;
  const key = keyOf(event);
  const has = (types: Types) => history.some((h) => types.has(h.type));
  /** Whether this event is the earliest of `types` (it is one of them, and comes before every such event seen). */
  const leads = (types: Types) => {
    if (!types.has(event.type)) return false;
    const first = history.find((h) => types.has(h.type));
    return !first || before(key, first);
  };
  const next: TransactionView = { ...view };

  if (leads(withSale) && 'saleId' in event) next.saleId = event.saleId;
  if (leads(withUser) && 'userId' in event) next.userId = event.userId;

  // The price and the reservation: the first grant's, else the first redirect's.
  const granted = has(only.ClaimGranted);
  const priced = has(only.ClaimGranted) || has(only.PaymentRedirectIssued);
  if (event.type === 'ClaimGranted' && leads(only.ClaimGranted)) {
    next.slotIds = event.slotIds;
    next.expiresAt = event.expiresAt;
    next.expectedAmountMinor = event.amountMinor;
    next.currency = event.currency;
  } else if (event.type === 'PaymentRedirectIssued' && !granted && leads(only.PaymentRedirectIssued)) {
    next.expiresAt = event.expiresAt;
    next.expectedAmountMinor = event.amountMinor;
    next.currency = event.currency;
  }

  if (leads(sizing) && 'quantity' in event) next.quantity = event.quantity;

  if (event.type === 'PartnerPaymentReported') {
    if (!has(sizing) && leads(only.PartnerPaymentReported)) next.quantity = event.quantity;
    if (!priced && leads(only.PartnerPaymentReported)) next.currency = event.currency;
    next.paidAmountMinor += event.amountMinor;
    next.payments += 1;
  }
  if (event.type === 'PartnerRefundReported') {
    if (!priced && !has(only.PartnerPaymentReported) && leads(only.PartnerRefundReported)) next.currency = event.currency;
    next.refundedAmountMinor += event.amountMinor;
    next.refunds += 1;
  }

  const at = history.findIndex((h) => before(key, h));
  const entry = historyEntryOf(event);
  next.history = at === -1 ? [...history, entry] : [...history.slice(0, at), entry, ...history.slice(at)];
  // Recomputed over the history (a handful of entries): a redirect or a grant arriving after
  // another partner's payment takes back the status that payment seemed to give.
  Object.assign(next, judge(next.history, view.reason));
  return next;
}

/** The view of one transaction from its events, in any order, repeated or not. */
export function viewOf(transactionId: string, events: Iterable<TransactionEvent>): TransactionView {
  let view = emptyView(transactionId);
  for (const event of events) view = evolveView(view, event);
  return view;
}
