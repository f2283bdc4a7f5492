// Claims a shard parked instead of a false sold-out, decided once units arrive (oldest first),
// once every other shard is known dry (sold out), or once they waited the park time (sold out,
// marked parkTimedOut: the bounded false sold-out the design allows).
import { decide, decisionEventId, type RequestClaim } from '../decide.js';
import { othersAllDry } from './giving.js';
import type { ClaimParked, ShardDecision } from './shardEvents.js';
import { evolveShard, type ShardInventory } from './shardInventory.js';

/** Decides the parked claims that can be decided at `now`, and the state after them. */
export function decideParked(state: ShardInventory, now: number): { state: ShardInventory; events: ShardDecision[] } {
  let s = state;
  const events: ShardDecision[] = [];
  const emit = (e: ShardDecision) => {
    events.push(e);
    s = evolveShard(s, e);
  };
  for (let head = s.parked[0]; head; head = s.parked[0]) {
    const decision = decideWaiting(head, s, now);
    if (!decision) break;
    emit(decision);
  }
  // Behind a head still waiting, later claims wait too (oldest first), but never past their park time.
  for (const p of s.parked) if (waitedOut(p, s, now)) emit(soldOut(p, now, true));
  return { state: s, events };
}

/** The claim as it was asked: the sale's window and the shopper's limits are checked as of then. */
export function requestOf(parked: ClaimParked): RequestClaim {
  const { transactionId, saleId, userId, quantity, causationId, occurredAt } = parked;
  return { type: 'RequestClaim', transactionId, saleId, userId, quantity, claimEventId: causationId, now: occurredAt };
}

const waitedOut = (p: ClaimParked, s: ShardInventory, now: number) => now - p.occurredAt >= s.parkMs;

function decideWaiting(parked: ClaimParked, s: ShardInventory, now: number): ShardDecision | undefined {
  const [decision] = decide(requestOf(parked), s.inventory);
  if (decision.type === 'ClaimGranted') {
    // Reserved from when it is granted: the wait does not eat into the shopper's time to pay.
    const reservationMs = s.inventory.sale.status === 'scheduled' ? s.inventory.sale.terms.reservationSeconds * 1000 : 0;
    return { ...decision, occurredAt: now, expiresAt: now + reservationMs };
  }
  // Refused for what no unit would change (a duplicate by now, the limit, a closed sale).
  if (decision.reason !== 'sold_out') return { ...decision, occurredAt: now };
  if (waitedOut(parked, s, now)) return soldOut(parked, now, true);
  if (othersAllDry(s)) return soldOut(parked, now, false);
  return undefined;
}

function soldOut(p: ClaimParked, now: number, parkTimedOut: boolean): ShardDecision {
  return {
    type: 'ClaimRejected',
    eventId: decisionEventId(p.transactionId),
    occurredAt: now,
    correlationId: p.transactionId,
    causationId: p.causationId,
    transactionId: p.transactionId,
    saleId: p.saleId,
    userId: p.userId,
    quantity: p.quantity,
    reason: 'sold_out',
    decidedBy: 'decision_maker',
    ...(parkTimedOut ? { parkTimedOut } : {}),
  };
}
