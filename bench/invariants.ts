// What every bench run checks at the end, over the `sales` topic as written (a sale's events
// are on one partition, in decision order): grants never exceed stock, no slot is held twice,
// no user holds more than the sale's limit, and each transaction has one decision (copies of
// it under the same eventId are allowed: a redelivered claim republishes its decision).
import type { EventOf, FlashsaleEvent } from '../schemas/events/index.js';

export type SaleTally = {
  saleId: string;
  stock: number;
  perUserLimit: number;
  granted: number;
  rejected: Record<string, number>;
  released: number;
  /** Most units held at once: never above stock. */
  peakHeld: number;
  violations: string[];
};

type SaleState = SaleTally & {
  heldBy: Map<string, number>;
  slotHolder: Map<string, string>;
  decision: Map<string, string>;
  grantOf: Map<string, EventOf<'ClaimGranted'>>;
  seen: Set<string>;
  held: number;
};

const MAX_VIOLATIONS_KEPT = 20;

function violation(s: SaleState, message: string): void {
  if (s.violations.length < MAX_VIOLATIONS_KEPT) s.violations.push(message);
}

function decided(s: SaleState, transactionId: string, what: string): boolean {
  const first = s.decision.get(transactionId);
  if (first === undefined) {
    s.decision.set(transactionId, what);
    return true;
  }
  violation(s, `transaction ${transactionId} decided twice: ${first}, then ${what}`);
  return false;
}

function grant(s: SaleState, e: EventOf<'ClaimGranted'>): void {
  if (!decided(s, e.transactionId, 'granted')) return;
  s.granted++;
  s.grantOf.set(e.transactionId, e);
  if (e.slotIds.length !== e.quantity) violation(s, `grant ${e.transactionId}: ${e.slotIds.length} slots for quantity ${e.quantity}`);
  for (const slot of e.slotIds) {
    const n = Number(slot.slice(slot.lastIndexOf(':') + 1));
    if (!Number.isInteger(n) || n < 1 || n > s.stock) violation(s, `grant ${e.transactionId}: slot ${slot} is outside 1..${s.stock}`);
    const holder = s.slotHolder.get(slot);
    if (holder) violation(s, `slot ${slot} granted to ${e.transactionId} while ${holder} holds it`);
    s.slotHolder.set(slot, e.transactionId);
  }
  s.held += e.quantity;
  s.peakHeld = Math.max(s.peakHeld, s.held);
  if (s.held > s.stock) violation(s, `${s.held} units held, stock is ${s.stock} (after ${e.transactionId})`);
  const user = (s.heldBy.get(e.userId) ?? 0) + e.quantity;
  s.heldBy.set(e.userId, user);
  if (user > s.perUserLimit) violation(s, `user ${e.userId} holds ${user}, limit is ${s.perUserLimit}`);
}

function reject(s: SaleState, e: EventOf<'ClaimRejected'>): void {
  if (decided(s, e.transactionId, `rejected (${e.reason})`)) s.rejected[e.reason] = (s.rejected[e.reason] ?? 0) + 1;
}

function release(s: SaleState, e: EventOf<'ReservationReleased'>): void {
  const g = s.grantOf.get(e.transactionId);
  if (!g) return violation(s, `release of ${e.transactionId}, which holds nothing`);
  s.grantOf.delete(e.transactionId);
  s.released++;
  for (const slot of g.slotIds) s.slotHolder.delete(slot);
  s.held -= g.quantity;
  s.heldBy.set(g.userId, (s.heldBy.get(g.userId) ?? 0) - g.quantity);
}

/** An accepted late payment takes slots for good, as a grant does; a return gives them back. */
function accept(s: SaleState, e: EventOf<'LatePaymentAccepted'>): void {
  for (const slot of e.slotIds) {
    const holder = s.slotHolder.get(slot);
    if (holder) violation(s, `slot ${slot} taken by late payment ${e.transactionId} while ${holder} holds it`);
    s.slotHolder.set(slot, e.transactionId);
  }
  s.held += e.quantity;
  s.peakHeld = Math.max(s.peakHeld, s.held);
  if (s.held > s.stock) violation(s, `${s.held} units held, stock is ${s.stock} (after accepting ${e.transactionId})`);
}

function giveBack(s: SaleState, e: EventOf<'UnitsReturned'>): void {
  for (const slot of e.slotIds) if (s.slotHolder.get(slot) === e.transactionId) s.slotHolder.delete(slot);
  s.held -= e.quantity;
  s.heldBy.set(e.userId, (s.heldBy.get(e.userId) ?? 0) - e.quantity);
}

function newSaleState(saleId: string): SaleState {
  return {
    saleId,
    stock: 0,
    perUserLimit: 0,
    granted: 0,
    rejected: {},
    released: 0,
    peakHeld: 0,
    violations: [],
    heldBy: new Map(),
    slotHolder: new Map(),
    decision: new Map(),
    grantOf: new Map(),
    seen: new Set(),
    held: 0,
  };
}

export function createInvariantCheck() {
  const sales = new Map<string, SaleState>();

  function stateOf(saleId: string): SaleState {
    let s = sales.get(saleId);
    if (!s) {
      s = newSaleState(saleId);
      sales.set(saleId, s);
    }
    return s;
  }

  return {
    /** Feed the sales topic's events in partition order. */
    apply(event: FlashsaleEvent): void {
      if (!('saleId' in event) || typeof event.saleId !== 'string') return;
      const s = stateOf(event.saleId);
      if (s.seen.has(event.eventId)) return;
      s.seen.add(event.eventId);
      switch (event.type) {
        case 'SaleScheduled':
          s.stock = event.stock;
          s.perUserLimit = event.perUserLimit;
          return;
        case 'ClaimGranted':
          return grant(s, event);
        case 'ClaimRejected':
          return reject(s, event);
        case 'ReservationReleased':
          return release(s, event);
        case 'LatePaymentAccepted':
          return accept(s, event);
        case 'UnitsReturned':
          return giveBack(s, event);
        // Neither adds nor frees a slot: a settlement keeps the grant's hold for good.
        case 'SaleClosed':
        case 'ReservationSettled':
        case 'ClaimRequested':
        case 'ClaimForwarded':
        case 'EntryRecorded':
        case 'PaymentRedirectIssued':
        case 'MismatchFlagged':
        case 'RefundRequested':
        case 'MismatchResolved':
          return;
      }
    },
    tally(saleId: string): SaleTally | undefined {
      const s = sales.get(saleId);
      if (!s) return undefined;
      const { saleId: id, stock, perUserLimit, granted, rejected, released, peakHeld, violations } = s;
      return { saleId: id, stock, perUserLimit, granted, rejected, released, peakHeld, violations: [...violations] };
    },
    /** The decided transactions of a sale: transactionId -> decision. */
    decisions(saleId: string): ReadonlyMap<string, string> {
      return sales.get(saleId)?.decision ?? new Map();
    },
  };
}

export type InvariantCheck = ReturnType<typeof createInvariantCheck>;
