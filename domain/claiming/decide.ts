// The claim decider: what a sale's inventory answers to a claim, an expiry and a payment.
// Pure: time and the triggering event's id arrive in the command. The Redis decision script
// (writeModel/lua) implements the same rules atomically; they are checked to agree.
//
// The rules, in the order they are checked:
//   1. A transaction already decided gets its first decision again, unchanged (same eventId).
//   2. sale_not_open: the sale is unknown, or outside its window (saleWindow.ts): closed, not
//      started yet, or over (now >= endsAt).
//   3. duplicate: the user already holds a live (granted, unpaid, unreleased) reservation in
//      this sale under another transaction; pay or let it expire first.
//   4. limit_exceeded: units the user holds in this sale (live or paid) plus this claim would
//      exceed perUserLimit. Released units no longer count.
//   5. sold_out: fewer free slots than the quantity asked. All or nothing: never a partial grant.
//   6. Otherwise granted: the lowest-numbered free slots, reserved for reservationSeconds.
import { type DecisionEvent, type EndingEvent, evolve, initialInventory, type SaleInventory, slotId } from './inventory.js';
import { saleWindowAt } from './saleWindow.js';
import type { EventOf } from '../../schemas/events/index.js';

export type RequestClaim = {
  type: 'RequestClaim';
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: number;
  /** The ClaimRequested event's id: the decision's causationId. */
  claimEventId: string;
  now: number;
};

/** The expiry's question: release this reservation if it is still live and its time is up. */
export type ReleaseExpired = { type: 'ReleaseExpired'; transactionId: string; saleId: string; now: number };

/**
 * A partner reported a payment: settle the reservation if it is still live (whoever reaches
 * the store first wins) and the partner is the sale's own. Any partner can sign a webhook
 * naming any transaction; only the sale's partner took the shopper's money for it.
 */
export type SettleReservation = {
  type: 'SettleReservation';
  transactionId: string;
  saleId: string;
  paymentEventId: string;
  /** The partner that reported the payment (PartnerPaymentReported.partnerId). */
  partnerId: string;
  now: number;
};

export type InventoryCommand = RequestClaim | ReleaseExpired | SettleReservation;

export type RejectionReason = EventOf<'ClaimRejected'>['reason'];

export const decisionEventId = (transactionId: string) => `decision:${transactionId}`;
export const releaseEventId = (transactionId: string) => `release:${transactionId}`;
export const settleEventId = (transactionId: string) => `settle:${transactionId}`;
/** A sharded sale's claim handed on to another shard for the `hops`-th time: one event id per hop, whoever hands it on. */
export const forwardEventId = (transactionId: string, hops: number) => `forward:${transactionId}:${hops}`;

export function decide(command: RequestClaim, state: SaleInventory): [DecisionEvent];
export function decide(command: ReleaseExpired | SettleReservation, state: SaleInventory): EndingEvent[];
export function decide(command: InventoryCommand, state: SaleInventory): (DecisionEvent | EndingEvent)[] {
  switch (command.type) {
    case 'RequestClaim':
      return [decideClaim(command, state)];
    case 'ReleaseExpired':
      return decideRelease(command, state);
    case 'SettleReservation':
      return decideSettlement(command, state);
  }
}

/** The decider as one value (emmett's Decider): decide, evolve and the initial state, as its specifications run it. */
export const inventoryDecider = {
  decide: (command: InventoryCommand, state: SaleInventory): (DecisionEvent | EndingEvent)[] =>
    command.type === 'RequestClaim' ? decide(command, state) : decide(command, state),
  evolve,
  initialState: initialInventory,
};

function decideClaim(c: RequestClaim, state: SaleInventory): DecisionEvent {
  if (!Number.isInteger(c.quantity) || c.quantity < 1) throw new Error(`claim ${c.transactionId}: quantity must be a positive integer`);
  const earlier = state.transactions.get(c.transactionId)?.decision;
  if (earlier) return earlier;
  const envelope = {
    eventId: decisionEventId(c.transactionId),
    occurredAt: c.now,
    correlationId: c.transactionId,
    causationId: c.claimEventId,
  };
  const claim = { transactionId: c.transactionId, saleId: c.saleId, userId: c.userId, quantity: c.quantity };
  const reason = refusal(c, state);
  if (reason || state.sale.status !== 'scheduled') {
    return { type: 'ClaimRejected', ...envelope, ...claim, reason: reason ?? 'sale_not_open', decidedBy: 'decision_maker' };
  }
  const { terms } = state.sale;
  return {
    type: 'ClaimGranted',
    ...envelope,
    ...claim,
    slotIds: state.free.slice(0, c.quantity).map((n) => slotId(c.saleId, n)),
    amountMinor: terms.priceMinor * c.quantity,
    currency: terms.currency,
    expiresAt: c.now + terms.reservationSeconds * 1000,
  };
}

function refusal(c: RequestClaim, state: SaleInventory): RejectionReason | undefined {
  if (state.sale.status !== 'scheduled') return 'sale_not_open';
  const { terms, closed } = state.sale;
  if (saleWindowAt({ closed, startsAt: terms.startsAt, endsAt: terms.endsAt }, c.now) !== 'open') return 'sale_not_open';
  const live = state.live.get(c.userId);
  if (live !== undefined && live !== c.transactionId) return 'duplicate';
  if ((state.held.get(c.userId) ?? 0) + c.quantity > terms.perUserLimit) return 'limit_exceeded';
  if (state.free.length < c.quantity) return 'sold_out';
  return undefined;
}

/** The live grant of a transaction: granted, and neither released nor settled yet. */
function liveGrant(state: SaleInventory, transactionId: string): EventOf<'ClaimGranted'> | undefined {
  const tx = state.transactions.get(transactionId);
  return tx?.decision?.type === 'ClaimGranted' && !tx.ending ? tx.decision : undefined;
}

function decideRelease(c: ReleaseExpired, state: SaleInventory): EndingEvent[] {
  const grant = liveGrant(state, c.transactionId);
  if (!grant || c.now < grant.expiresAt) return [];
  return [
    {
      type: 'ReservationReleased',
      eventId: releaseEventId(c.transactionId),
      occurredAt: c.now,
      correlationId: c.transactionId,
      causationId: grant.eventId,
      transactionId: c.transactionId,
      saleId: grant.saleId,
      slotIds: grant.slotIds,
      reason: 'expired',
    },
  ];
}

function decideSettlement(c: SettleReservation, state: SaleInventory): EndingEvent[] {
  const ending = state.transactions.get(c.transactionId)?.ending;
  // The same payment again gets the same settlement again; another payment, or one after the
  // release, changes nothing here (reconciliation flags it).
  if (ending?.type === 'ReservationSettled' && ending.paymentEventId === c.paymentEventId) return [ending];
  const grant = liveGrant(state, c.transactionId);
  if (!grant) return [];
  // Another partner's payment (or one for a sale whose partner is not known here) settles
  // nothing: the reservation stays live and expires unless the sale's partner pays;
  // reconciliation flags it as wrong_partner.
  if (state.sale.status !== 'scheduled' || state.sale.terms.partnerId !== c.partnerId) return [];
  return [
    {
      type: 'ReservationSettled',
      eventId: settleEventId(c.transactionId),
      occurredAt: c.now,
      correlationId: c.transactionId,
      causationId: c.paymentEventId,
      transactionId: c.transactionId,
      saleId: grant.saleId,
      paymentEventId: c.paymentEventId,
    },
  ];
}
