// Events to and from what the Lua scripts read and return: flat strings. Slot ids travel as
// their numbers ("1,2,3"); an event's null causationId travels as ''.
import { type DecisionEvent, type EndingEvent, type InventoryEvent, slotId, slotNumber } from '../domain/claiming/inventory.js';
import { decisionEventId, releaseEventId, settleEventId } from '../domain/claiming/decide.js';
import type { EventOf } from '../schemas/events/index.js';

/** The events the store folds: a sale's inventory events, and entries (which open transactions). */
export type StoreEvent = InventoryEvent | EventOf<'EntryRecorded'>;

const storeEventTypes: ReadonlySet<string> = new Set<StoreEvent['type']>([
  'SaleScheduled',
  'SaleClosed',
  'ClaimGranted',
  'ClaimRejected',
  'ReservationReleased',
  'ReservationSettled',
  'EntryRecorded',
]);

export function isStoreEvent(event: { type: string }): event is StoreEvent {
  return storeEventTypes.has(event.type);
}

const slotsOf = (slotIds: readonly string[]) => slotIds.map(slotNumber).join(',');
const slotIdsOf = (saleId: string, slots: string | null) => (slots ? slots.split(',').map((n) => slotId(saleId, Number(n))) : []);
const str = (n: number) => String(n);

/** The JSON an event is folded from by the `apply` script. */
export function encodeForFold(event: StoreEvent): string {
  const at = str(event.occurredAt);
  const cause = event.causationId ?? '';
  switch (event.type) {
    case 'SaleScheduled': {
      const f = {
        productId: event.productId,
        partnerId: event.partnerId,
        stock: str(event.stock),
        priceMinor: str(event.priceMinor),
        currency: event.currency,
        startsAt: str(event.startsAt),
        endsAt: str(event.endsAt),
        perUserLimit: str(event.perUserLimit),
        reservationSeconds: str(event.reservationSeconds),
        challenge: event.challenge,
        closed: '0',
        scheduledEventId: event.eventId,
        scheduledAt: at,
      };
      return JSON.stringify({ k: 'S', s: event.saleId, stock: str(event.stock), f: Object.entries(f).flat() });
    }
    case 'SaleClosed':
      return JSON.stringify({ k: 'C', s: event.saleId });
    case 'EntryRecorded':
      return JSON.stringify({ k: 'E', t: event.transactionId, s: event.saleId, u: event.userId });
    case 'ClaimGranted':
      return JSON.stringify({
        k: 'G',
        t: event.transactionId,
        s: event.saleId,
        u: event.userId,
        q: str(event.quantity),
        slots: slotsOf(event.slotIds),
        exp: str(event.expiresAt),
        amount: str(event.amountMinor),
        cur: event.currency,
        at,
        cause,
      });
    case 'ClaimRejected':
      return JSON.stringify({
        k: 'R',
        t: event.transactionId,
        s: event.saleId,
        u: event.userId,
        q: str(event.quantity),
        reason: event.reason,
        at,
        cause,
      });
    case 'ReservationReleased':
      return JSON.stringify({
        k: 'X',
        t: event.transactionId,
        s: event.saleId,
        slots: slotsOf(event.slotIds),
        at,
        cause,
        reason: event.reason,
      });
    case 'ReservationSettled':
      return JSON.stringify({ k: 'P', t: event.transactionId, s: event.saleId, pay: event.paymentEventId, at, cause });
  }
}

type Cell = string | null;

/** A decision tuple from the `decide` script (or storedDecision) as its event. */
export function decisionFromTuple(row: Cell[]): DecisionEvent {
  const [kind, t, s, u, q, at, cause, reason, slots, exp, amount, currency] = row;
  if (!t || !s || !u || !q || !at) throw new Error(`malformed decision tuple from the store: ${JSON.stringify(row)}`);
  const base = {
    eventId: decisionEventId(t),
    occurredAt: Number(at),
    correlationId: t,
    causationId: cause || null,
    transactionId: t,
    saleId: s,
    userId: u,
    quantity: Number(q),
  };
  if (kind === 'R') return { type: 'ClaimRejected', ...base, reason: reason as EventOf<'ClaimRejected'>['reason'] };
  return {
    type: 'ClaimGranted',
    ...base,
    slotIds: slotIdsOf(s, slots ?? null),
    amountMinor: Number(amount),
    currency: currency ?? '',
    expiresAt: Number(exp),
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
