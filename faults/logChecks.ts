// The checks of a run that read the sales topic alone: no unit held twice or past the stock,
// and no shopper past the sale's limit, as the log tells it. Part of checker.ts.
import type { EventOf, FlashsaleEvent } from '../schemas/events/index.js';

export type Violation = { check: string; says: string; transactionId?: string };

/** Held units never exceed stock and no slot is granted while another reservation holds it (a released slot may be sold again). */
export function checkStock(events: readonly FlashsaleEvent[], stock: number): Violation[] {
  const holder = new Map<string, string>();
  const granted = new Map<string, EventOf<'ClaimGranted'>>();
  let heldUnits = 0;
  const found: Violation[] = [];
  // Where each release of a slot is on the log: a slot granted again before its holder's
  // release is on the log says which (the release may have been written to Redis first and
  // published after the grant, by another process: seed 313 of the sharded campaign).
  const releasedAt = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.type === 'ReservationReleased') for (const s of e.slotIds) releasedAt.set(`${e.transactionId} ${s}`, i);
  });
  const laterRelease = (other: string, s: string, at: number) => {
    const i = releasedAt.get(`${other} ${s}`);
    return i !== undefined && i > at ? `; its release of the slot is ${i - at} records later on the log` : '; it never released the slot';
  };
  for (const [at, e] of events.entries()) {
    if (e.type === 'ClaimGranted') {
      granted.set(e.transactionId, e);
      heldUnits += e.quantity;
      if (e.slotIds.length !== e.quantity)
        found.push({ check: 'slots', transactionId: e.transactionId, says: `granted ${e.quantity} units with ${e.slotIds.length} slots` });
      for (const s of e.slotIds) {
        const other = holder.get(s);
        if (other)
          found.push({
            check: 'slots',
            transactionId: e.transactionId,
            says: `slot ${s} granted while ${other} holds it${laterRelease(other, s, at)}`,
          });
        holder.set(s, e.transactionId);
      }
      if (heldUnits > stock)
        found.push({ check: 'stock', transactionId: e.transactionId, says: `${heldUnits} units held for ${stock} in stock` });
    } else if (e.type === 'ReservationReleased') {
      heldUnits -= granted.get(e.transactionId)?.quantity ?? 0;
      for (const s of e.slotIds) if (holder.get(s) === e.transactionId) holder.delete(s);
    } else if (e.type === 'UnitsReturned') {
      // A refund while the sale is open puts the units back: they may be sold again.
      heldUnits -= e.quantity;
      for (const s of e.slotIds) if (holder.get(s) === e.transactionId) holder.delete(s);
    }
  }
  return found;
}

/**
 * No shopper is granted past the sale's per-user limit, as the log tells it: at each grant, the
 * units its shopper holds on the log before it (granted and not released, accepted late, less
 * those a refund returned) and the grant's own must fit the limit. Greedy shoppers of the
 * workload claim twice at once; a release or a return must be on the log before the units it
 * frees are granted to the same shopper again.
 */
export function checkLimit(events: readonly FlashsaleEvent[]): Violation[] {
  const terms = events.find((e): e is EventOf<'SaleScheduled'> => e.type === 'SaleScheduled');
  if (!terms) return [];
  const units = new Map<string, number>();
  const grants = new Map<string, EventOf<'ClaimGranted'>>();
  const add = (userId: string, n: number) => units.set(userId, (units.get(userId) ?? 0) + n);
  const found: Violation[] = [];
  for (const e of events) {
    if (e.type === 'ClaimGranted') {
      const held = units.get(e.userId) ?? 0;
      if (held + e.quantity > terms.perUserLimit)
        found.push({
          check: 'limit',
          transactionId: e.transactionId,
          says: `${e.userId} granted ${e.quantity} while holding ${held} (limit ${terms.perUserLimit})`,
        });
      grants.set(e.transactionId, e);
      add(e.userId, e.quantity);
    } else if (e.type === 'ReservationReleased') {
      const g = grants.get(e.transactionId);
      if (g) add(g.userId, -g.quantity);
    } else if (e.type === 'LatePaymentAccepted') add(e.userId, e.quantity);
    else if (e.type === 'UnitsReturned') add(e.userId, -e.quantity);
  }
  return found;
}
