// Events to and from what the Lua scripts read and return: flat strings. Slot ids travel as
// their numbers ("1,2,3"); an event's null causationId travels as ''.
import { type DecisionEvent, type EndingEvent, type InventoryEvent, slotId, slotNumber } from '../domain/claiming/inventory.js';
import { decisionEventId, forwardEventId, releaseEventId, settleEventId } from '../domain/claiming/decide.js';
import type { EventOf } from '../schemas/events/index.js';
import { decision, flag, type FoldRecord, foldKind, saleField } from './storeFormat.js';

/**
 * The events the store folds: a sale's inventory events, entries (which open transactions), and
 * claims handed on to another shard (what their home shard counted against the limit; folded
 * again only by the decision-maker that handed them on, from its memory: see lua/fold.ts
 * applyHandOn).
 */
export type StoreEvent = InventoryEvent | EventOf<'EntryRecorded'> | EventOf<'ClaimForwarded'>;

const storeEventTypes: ReadonlySet<string> = new Set<StoreEvent['type']>([
  'SaleScheduled',
  'SaleClosed',
  'ClaimGranted',
  'ClaimRejected',
  'ReservationReleased',
  'ReservationSettled',
  'LatePaymentAccepted',
  'UnitsReturned',
  'EntryRecorded',
  'ClaimForwarded',
]);

export function isStoreEvent(event: { type: string }): event is StoreEvent {
  return storeEventTypes.has(event.type);
}

const slotsOf = (slotIds: readonly string[]) => slotIds.map(slotNumber).join(',');
const slotIdsOf = (saleId: string, slots: string | null) => (slots ? slots.split(',').map((n) => slotId(saleId, Number(n))) : []);
const str = (n: number) => String(n);

/** The JSON an event is folded from by the `apply` script: a fold record (see storeFormat.ts). */
export function encodeForFold(event: StoreEvent): string {
  return JSON.stringify(foldRecordOf(event));
}

function foldRecordOf(event: StoreEvent): FoldRecord {
  const occurredAt = str(event.occurredAt);
  const causationId = event.causationId ?? '';
  switch (event.type) {
    case 'SaleScheduled': {
      // Every term is stored; the optional cap only when the sale has one (absent: the default).
      const terms: Record<Exclude<keyof typeof saleField, 'maxOpenEntriesPerUser'>, string> & { maxOpenEntriesPerUser?: string } = {
        productId: event.productId,
        partnerId: event.partnerId,
        stock: str(event.stock),
        priceMinor: str(event.priceMinor),
        currency: event.currency,
        startsAt: str(event.startsAt),
        endsAt: str(event.endsAt),
        perUserLimit: str(event.perUserLimit),
        reservationSeconds: str(event.reservationSeconds),
        shards: str(event.shards),
        challenge: event.challenge,
        closed: flag.no,
        scheduledEventId: event.eventId,
        scheduledAt: occurredAt,
        ...(typeof event.maxOpenEntriesPerUser === 'number' ? { maxOpenEntriesPerUser: str(event.maxOpenEntriesPerUser) } : {}),
      };
      const fields = Object.entries(terms).flatMap(([name, value]) => [saleField[name as keyof typeof saleField], value]);
      return { kind: foldKind.saleScheduled, saleId: event.saleId, stock: str(event.stock), terms: fields };
    }
    case 'SaleClosed':
      return { kind: foldKind.saleClosed, saleId: event.saleId };
    case 'EntryRecorded':
      return { kind: foldKind.entryRecorded, transactionId: event.transactionId, saleId: event.saleId, userId: event.userId };
    case 'ClaimForwarded':
      return {
        kind: foldKind.handedOn,
        transactionId: event.transactionId,
        saleId: event.saleId,
        userId: event.userId,
        quantity: str(event.quantity),
      };
    case 'ClaimGranted':
      return {
        kind: foldKind.granted,
        transactionId: event.transactionId,
        saleId: event.saleId,
        userId: event.userId,
        quantity: str(event.quantity),
        slotNumbers: slotsOf(event.slotIds),
        expiresAt: str(event.expiresAt),
        amountMinor: str(event.amountMinor),
        currency: event.currency,
        occurredAt,
        causationId,
      };
    case 'ClaimRejected':
      return {
        kind: foldKind.rejected,
        transactionId: event.transactionId,
        saleId: event.saleId,
        userId: event.userId,
        quantity: str(event.quantity),
        reason: event.reason,
        occurredAt,
        causationId,
      };
    case 'ReservationReleased':
      return {
        kind: foldKind.released,
        transactionId: event.transactionId,
        saleId: event.saleId,
        slotNumbers: slotsOf(event.slotIds),
        occurredAt,
        causationId,
        reason: event.reason,
      };
    case 'ReservationSettled':
      return {
        kind: foldKind.settled,
        transactionId: event.transactionId,
        saleId: event.saleId,
        paymentEventId: event.paymentEventId,
        occurredAt,
        causationId,
      };
    case 'LatePaymentAccepted':
    case 'UnitsReturned': {
      const after = {
        transactionId: event.transactionId,
        saleId: event.saleId,
        userId: event.userId,
        quantity: str(event.quantity),
        slotNumbers: slotsOf(event.slotIds),
        paymentEventId: event.paymentEventId,
        occurredAt,
      };
      return event.type === 'LatePaymentAccepted'
        ? { kind: foldKind.accepted, ...after, acceptedBy: event.acceptedBy }
        : { kind: foldKind.returned, ...after, refundEventId: event.refundEventId };
    }
  }
}

type Cell = string | null;

/** The envelope and claim fields a decide script's tuple carries, whatever it came to. */
function claimFields(eventId: string, c: { t: string; s: string; u: string; q: string; at: string; cause: Cell | undefined }) {
  return {
    eventId,
    occurredAt: Number(c.at),
    correlationId: c.t,
    causationId: c.cause || null,
    transactionId: c.t,
    saleId: c.s,
    userId: c.u,
    quantity: Number(c.q),
  };
}

/** A decision tuple from the `decide` script (or storedDecision) as its event; its first cell is a storeFormat `decision`. */
export function decisionFromTuple(row: Cell[]): DecisionEvent {
  const [kind, t, s, u, q, at, cause, reason, slots, exp, amount, currency] = row;
  if (kind !== decision.granted && kind !== decision.rejected) throw new Error(`unknown decision in the store: ${JSON.stringify(row)}`);
  if (!t || !s || !u || !q || !at) throw new Error(`malformed decision tuple from the store: ${JSON.stringify(row)}`);
  const base = claimFields(decisionEventId(t), { t, s, u, q, at, cause });
  if (kind === decision.rejected)
    return { type: 'ClaimRejected', ...base, reason: reason as EventOf<'ClaimRejected'>['reason'], decidedBy: 'decision_maker' };
  return {
    type: 'ClaimGranted',
    ...base,
    slotIds: slotIdsOf(s, slots ?? null),
    amountMinor: Number(amount),
    currency: currency ?? '',
    expiresAt: Number(exp),
  };
}

/** The decide script's word for a claim it handed on to another shard (no decision written). */
export const HANDED_ON = 'forward';

/** A claim handed on: transactionId, saleId, userId, quantity, at, the claim's eventId, from shard, to shard, hops. */
export function handedOnFromTuple(row: Cell[]): EventOf<'ClaimForwarded'> {
  const [kind, t, s, u, q, at, cause, from, to, hops] = row;
  if (kind !== HANDED_ON || !t || !s || !u || !q || !at || !from || !to || !hops)
    throw new Error(`malformed hand-on tuple from the store: ${JSON.stringify(row)}`);
  return {
    type: 'ClaimForwarded',
    ...claimFields(forwardEventId(t, Number(hops)), { t, s, u, q, at, cause }),
    fromShard: Number(from),
    shard: Number(to),
    hops: Number(hops),
  };
}

/** A release from `releaseDue` or `readOutbox`: transactionId, saleId, slots, at, cause[, reason]. */
export function releaseFromTuple(row: Cell[]): EventOf<'ReservationReleased'> {
  const [t, s, slots, at, cause, reason] = row;
  if (!t || !s || !at) throw new Error(`malformed release tuple from the store: ${JSON.stringify(row)}`);
  return {
    type: 'ReservationReleased',
    eventId: releaseEventId(t),
    occurredAt: Number(at),
    correlationId: t,
    causationId: cause || null,
    transactionId: t,
    saleId: s,
    slotIds: slotIdsOf(s, slots ?? null),
    reason: reason === 'cancelled' ? 'cancelled' : 'expired',
  };
}

export function settlementOf(transactionId: string, saleId: string, paymentEventId: string, at: number): EventOf<'ReservationSettled'> {
  return {
    type: 'ReservationSettled',
    eventId: settleEventId(transactionId),
    occurredAt: at,
    correlationId: transactionId,
    causationId: paymentEventId,
    transactionId,
    saleId,
    paymentEventId,
  };
}

export type { DecisionEvent, EndingEvent };

/** An accepted late payment from `acceptLate`: transactionId, saleId, userId, quantity, slots, payment, by, at. */
export function acceptedFromTuple(row: Cell[]): EventOf<'LatePaymentAccepted'> {
  const [t, s, u, q, slots, pay, by, at] = row;
  if (!t || !s || !u || !q || !pay || !at) throw new Error(`malformed acceptance tuple from the store: ${JSON.stringify(row)}`);
  return {
    type: 'LatePaymentAccepted',
    eventId: `accepted:${t}`,
    occurredAt: Number(at),
    correlationId: t,
    causationId: pay,
    transactionId: t,
    saleId: s,
    userId: u,
    quantity: Number(q),
    slotIds: slotIdsOf(s, slots ?? null),
    paymentEventId: pay,
    acceptedBy: by ?? '',
  };
}

/** Units returned by `returnUnits`: transactionId, saleId, userId, quantity, slots, payment, refund, at. */
export function returnedFromTuple(row: Cell[]): EventOf<'UnitsReturned'> {
  const [t, s, u, q, slots, pay, refund, at] = row;
  if (!t || !s || !u || !q || !pay || !refund || !at) throw new Error(`malformed return tuple from the store: ${JSON.stringify(row)}`);
  return {
    type: 'UnitsReturned',
    eventId: `returned:${t}`,
    occurredAt: Number(at),
    correlationId: t,
    causationId: refund,
    transactionId: t,
    saleId: s,
    userId: u,
    quantity: Number(q),
    slotIds: slotIdsOf(s, slots ?? null),
    paymentEventId: pay,
    refundEventId: refund,
  };
}
