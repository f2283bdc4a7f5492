// A sale's inventory as a fold over the events of the `sales` topic: which slots are free,
// who holds which, what each transaction was decided. The Redis store (writeModel)
// implements exactly this fold in Lua; a test runs the same command sequences through both.
//
// Why the fold is order-tolerant: grants are published by the decision-maker, releases by the
// expiry worker and settlements by the settlement consumer, so on Kafka a release may land
// after the grant that reused its slot (or, after a crash, before its own grant). The free
// slots are therefore a SET ordered by slot number, not a list ordered by history; a release
// frees a slot only while its transaction still holds it; and a transaction's ending
// (released or settled) is remembered even when it arrives before its grant. Any such
// interleaving folds to the same state, so a rebuild from the topic restores it exactly.
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';

export type SaleTerms = Omit<EventOf<'SaleScheduled'>, 'type' | 'eventId' | 'occurredAt' | 'correlationId' | 'causationId'>;

export type InventoryEvent = Extract<
  FlashsaleEvent,
  {
    type:
      | 'SaleScheduled'
      | 'SaleClosed'
      | 'ClaimGranted'
      | 'ClaimRejected'
      | 'ReservationReleased'
      | 'ReservationSettled'
      | 'LatePaymentAccepted'
      | 'UnitsReturned';
  }
>;

export type DecisionEvent = EventOf<'ClaimGranted'> | EventOf<'ClaimRejected'>;
export type EndingEvent = EventOf<'ReservationReleased'> | EventOf<'ReservationSettled'>;

export type TransactionState = {
  /** The one decision on this transaction: asked again, it is given again, unchanged. */
  decision?: DecisionEvent;
  /** How a grant ended; known even when it was folded before the grant itself. */
  ending?: EndingEvent;
  /** After a release: an operator accepted the late payment and the transaction took free slots. */
  accepted?: EventOf<'LatePaymentAccepted'>;
  /** After a payment held units: its refund, while the sale was open, put them back. */
  returned?: EventOf<'UnitsReturned'>;
};

export type SaleInventory = {
  sale: { status: 'unscheduled' } | { status: 'scheduled'; terms: SaleTerms; closed: boolean };
  /** Free slot numbers, ascending: the queue hands out the lowest first. */
  free: readonly number[];
  /** Slot number -> the transaction holding it (live or settled). */
  holders: ReadonlyMap<number, string>;
  /** userId -> units held (granted and not released: live or paid); the per-user limit counts these. */
  held: ReadonlyMap<string, number>;
  /** userId -> their one live (granted, unpaid, unreleased) reservation. */
  live: ReadonlyMap<string, string>;
  transactions: ReadonlyMap<string, TransactionState>;
};

export const initialInventory: SaleInventory = {
  sale: { status: 'unscheduled' },
  free: [],
  holders: new Map(),
  held: new Map(),
  live: new Map(),
  transactions: new Map(),
};

export function slotId(saleId: string, slot: number): string {
  return `${saleId}:${slot}`;
}

/** The slot number of `<saleId>:<n>`; saleIds may themselves contain ':'. */
export function slotNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V | undefined): ReadonlyMap<K, V> => {
  const next = new Map(map);
  if (value === undefined) next.delete(key);
  else next.set(key, value);
  return next;
};

function insertSorted(free: readonly number[], slots: readonly number[]): number[] {
  return [...new Set([...free, ...slots])].sort((a, b) => a - b);
}

export function evolve(state: SaleInventory, event: InventoryEvent): SaleInventory {
  switch (event.type) {
    case 'SaleScheduled': {
      if (state.sale.status === 'scheduled') return state; // scheduled once; a repeat changes nothing
      const { type: _t, eventId: _e, occurredAt: _o, correlationId: _c, causationId: _k, ...terms } = event;
      const slots = Array.from({ length: terms.stock }, (_, i) => i + 1).filter((n) => !state.holders.has(n));
      return { ...state, sale: { status: 'scheduled', terms, closed: false }, free: insertSorted(state.free, slots) };
    }
    case 'SaleClosed':
      return state.sale.status === 'scheduled' ? { ...state, sale: { ...state.sale, closed: true } } : state;
    case 'ClaimRejected': {
      const tx = state.transactions.get(event.transactionId) ?? {};
      if (tx.decision) return state;
      return { ...state, transactions: withEntry(state.transactions, event.transactionId, { ...tx, decision: event }) };
    }
    case 'ClaimGranted':
      return applyGrant(state, event);
    case 'ReservationReleased':
      return applyRelease(state, event);
    case 'ReservationSettled':
      return applySettlement(state, event);
    case 'LatePaymentAccepted':
      return applyAccepted(state, event);
    case 'UnitsReturned':
      return applyReturned(state, event);
  }
}

/** The slots named are taken for good (the store checked they were free when it decided). */
function applyAccepted(state: SaleInventory, event: EventOf<'LatePaymentAccepted'>): SaleInventory {
  const tx = state.transactions.get(event.transactionId) ?? {};
  if (tx.accepted || tx.returned) return state;
  const slots = event.slotIds.map(slotNumber);
  const holders = new Map(state.holders);
  for (const s of slots) holders.set(s, event.transactionId);
  const taken = new Set(slots);
  return {
    ...state,
    transactions: withEntry(state.transactions, event.transactionId, { ...tx, accepted: event }),
    holders,
    free: state.free.filter((s) => !taken.has(s)),
    held: withEntry(state.held, event.userId, (state.held.get(event.userId) ?? 0) + event.quantity),
  };
}

/**
 * A transaction's units go back: the slots named that it still holds (a later grant may own
 * one already) return to the free list, its user holds fewer, and it is no longer live.
 */
function giveBack(
  state: SaleInventory,
  back: { transactionId: string; userId: string; quantity: number; slotIds: readonly string[] },
): Pick<SaleInventory, 'holders' | 'free' | 'held' | 'live'> {
  const holders = new Map(state.holders);
  const freed: number[] = [];
  for (const s of back.slotIds.map(slotNumber)) {
    if (holders.get(s) !== back.transactionId) continue;
    holders.delete(s);
    freed.push(s);
  }
  const held = (state.held.get(back.userId) ?? 0) - back.quantity;
  return {
    holders,
    free: insertSorted(state.free, freed),
    held: withEntry(state.held, back.userId, held > 0 ? held : undefined),
    live: state.live.get(back.userId) === back.transactionId ? withEntry(state.live, back.userId, undefined) : state.live,
  };
}

/** The slots named go back, those the transaction still holds (as a release's do). */
function applyReturned(state: SaleInventory, event: EventOf<'UnitsReturned'>): SaleInventory {
  const tx = state.transactions.get(event.transactionId) ?? {};
  if (tx.returned) return state;
  return {
    ...state,
    transactions: withEntry(state.transactions, event.transactionId, { ...tx, returned: event }),
    ...giveBack(state, event),
  };
}

function applyGrant(state: SaleInventory, event: EventOf<'ClaimGranted'>): SaleInventory {
  const tx = state.transactions.get(event.transactionId) ?? {};
  if (tx.decision) return state;
  const transactions = withEntry(state.transactions, event.transactionId, { ...tx, decision: event });
  // Released before its grant was folded: the slots went back already and stay free.
  if (tx.ending?.type === 'ReservationReleased') return { ...state, transactions };
  const slots = event.slotIds.map(slotNumber);
  const holders = new Map(state.holders);
  for (const s of slots) holders.set(s, event.transactionId);
  const taken = new Set(slots);
  return {
    ...state,
    transactions,
    holders,
    free: state.free.filter((s) => !taken.has(s)),
    held: withEntry(state.held, event.userId, (state.held.get(event.userId) ?? 0) + event.quantity),
    // Settled before its grant was folded: the units are held for good, nothing is live.
    live: tx.ending ? state.live : withEntry(state.live, event.userId, event.transactionId),
  };
}

function applyRelease(state: SaleInventory, event: EventOf<'ReservationReleased'>): SaleInventory {
  const tx = state.transactions.get(event.transactionId) ?? {};
  if (tx.ending) return state; // ended once: by this release again, or by a settlement that won
  const transactions = withEntry(state.transactions, event.transactionId, { ...tx, ending: event });
  const grant = tx.decision?.type === 'ClaimGranted' ? tx.decision : undefined;
  if (!grant) return { ...state, transactions };
  return { ...state, transactions, ...giveBack(state, { ...grant, transactionId: event.transactionId }) };
}

function applySettlement(state: SaleInventory, event: EventOf<'ReservationSettled'>): SaleInventory {
  const tx = state.transactions.get(event.transactionId) ?? {};
  if (tx.ending) return state;
  const transactions = withEntry(state.transactions, event.transactionId, { ...tx, ending: event });
  const grant = tx.decision?.type === 'ClaimGranted' ? tx.decision : undefined;
  if (!grant) return { ...state, transactions };
  return {
    ...state,
    transactions,
    live: state.live.get(grant.userId) === event.transactionId ? withEntry(state.live, grant.userId, undefined) : state.live,
  };
}

/** Folds events from the initial state. */
export function foldInventory(events: Iterable<InventoryEvent>, from: SaleInventory = initialInventory): SaleInventory {
  let state = from;
  for (const e of events) state = evolve(state, e);
  return state;
}
