// The decider of one shard of a sale: today's rules for a claim, an expiry and a payment over
// the shard's own units (decide.ts, unchanged), and around them what a shard adds: parking a
// claim instead of a false sold-out, asking for units when low, giving units when asked, and
// telling the other shards when it runs dry or has units again. With one shard it decides
// exactly as today's decider: nothing is parked, asked or told, as no other shard exists.
import { decide, type InventoryCommand, type RequestClaim } from '../decide.js';
import { slotId } from '../inventory.js';
import { othersAllDry, unitsLacking, unitsToGive, wantsUnits, whomToAsk } from './giving.js';
import { decideParked } from './parking.js';
import {
  type ClaimParked,
  dryEventId,
  movedEventId,
  parkedEventId,
  type ShardDry,
  type ShardEvent,
  type ShardMessage,
  type UnitsMoved,
  type UnitsWanted,
  unitsRequestId,
  wantedEventId,
} from './shardEvents.js';
import { evolveShard, freeUnits, type ShardInventory } from './shardInventory.js';

/** Another shard's UnitsWanted, reaching the shard it asks (fromShard). */
export type AnswerUnitsWanted = { type: 'AnswerUnitsWanted'; request: UnitsWanted; now: number };
/** The park timer's turn, and what a shard does after folding units moved in or another's ShardDry. */
export type DecideParked = { type: 'DecideParked'; now: number };
export type ShardCommand = InventoryCommand | AnswerUnitsWanted | DecideParked;

export function decideShard(command: ShardCommand, state: ShardInventory): ShardEvent[] {
  switch (command.type) {
    case 'RequestClaim':
      return withConsequences(state, claimOnShard(command, state), command.now);
    case 'ReleaseExpired':
    case 'SettleReservation':
      return withConsequences(state, decide(command, state.inventory), command.now);
    case 'AnswerUnitsWanted':
      // Having given, it asks no one for low water now: it had more than the asker, and asking
      // now would ask back what it just gave (a claim of its own waiting still asks).
      return withConsequences(state, [answer(command, state)], command.now, { lowWater: false });
    case 'DecideParked':
      return withConsequences(state, [], command.now);
  }
}

/**
 * What a shard decides on a message from another, once it has folded it: a request is
 * answered; units moved in or another's dryness may decide its parked claims.
 */
export function commandFor(message: ShardMessage, now: number): AnswerUnitsWanted | DecideParked {
  return message.type === 'UnitsWanted' ? { type: 'AnswerUnitsWanted', request: message, now } : { type: 'DecideParked', now };
}

function claimOnShard(c: RequestClaim, state: ShardInventory): ShardEvent[] {
  // Parked already: it waits on, in its place; the edge answers 202 again.
  if (state.parked.some((p) => p.transactionId === c.transactionId)) return [];
  const [decision] = decide(c, state.inventory);
  if (state.inventory.transactions.get(c.transactionId)?.decision) return [decision];
  if (decision.type === 'ClaimRejected' && decision.reason !== 'sold_out') return [decision];
  // Claims parked before it go first, even when this one would fit.
  if (state.parked.length === 0 && (decision.type === 'ClaimGranted' || othersAllDry(state))) return [decision];
  return [parked(c, state.shard)];
}

function parked(c: RequestClaim, shard: number): ClaimParked {
  const { transactionId, saleId, userId, quantity } = c;
  return {
    type: 'ClaimParked',
    eventId: parkedEventId(transactionId),
    occurredAt: c.now,
    correlationId: transactionId,
    causationId: c.claimEventId,
    transactionId,
    saleId,
    userId,
    quantity,
    shard,
  };
}

function answer({ request, now }: AnswerUnitsWanted, state: ShardInventory): UnitsMoved {
  if (request.fromShard !== state.shard) throw new Error(`${request.requestId} asks shard ${request.fromShard}, reached ${state.shard}`);
  const earlier = state.given.get(request.requestId);
  if (earlier) return earlier;
  const { free } = state.inventory;
  const count = state.inventory.sale.status === 'scheduled' ? unitsToGive(free.length, request) : 0;
  // The highest-numbered: a shard's own grants take its lowest first, as today.
  const slots = free.slice(free.length - count);
  const { saleId, fromShard, toShard, requestId } = request;
  return {
    type: 'UnitsMoved',
    eventId: movedEventId(requestId),
    occurredAt: now,
    correlationId: requestId,
    causationId: request.eventId,
    saleId,
    fromShard,
    toShard,
    requestId,
    slotIds: slots.map((n) => slotId(saleId, n)),
    giverFree: free.length - count,
  };
}

/** The events decided, then what follows from them: parked claims decided, units asked for, dryness told. */
function withConsequences(state: ShardInventory, decided: readonly ShardEvent[], now: number, { lowWater = true } = {}): ShardEvent[] {
  let s = decided.reduce(evolveShard, state);
  const parkedDecisions = decideParked(s, now);
  s = parkedDecisions.state;
  const ask = lowWater || s.parked.length > 0 ? askForUnits(s, now) : undefined;
  if (ask) s = evolveShard(s, ask);
  const told = dryness(s, now);
  return [...decided, ...parkedDecisions.events, ...(ask ? [ask] : []), ...(told ? [told] : [])];
}

function askForUnits(s: ShardInventory, now: number): UnitsWanted | undefined {
  if (s.shards === 1 || s.asking !== undefined || s.inventory.sale.status !== 'scheduled' || s.inventory.sale.closed) return undefined;
  if (!wantsUnits(s)) return undefined;
  const target = whomToAsk(s);
  if (target === undefined) return undefined;
  const { saleId } = s.inventory.sale.terms;
  const requestId = unitsRequestId(saleId, s.shard, s.requestsSent + 1);
  return {
    type: 'UnitsWanted',
    eventId: wantedEventId(requestId),
    occurredAt: now,
    correlationId: requestId,
    causationId: null,
    saleId,
    fromShard: target,
    toShard: s.shard,
    requestId,
    askerFree: freeUnits(s),
    unitsLacking: unitsLacking(s),
  };
}

/** A ShardDry when the shard's dryness changed since it last told the others: they park or refuse by it. */
function dryness(s: ShardInventory, now: number): ShardDry | undefined {
  if (s.shards === 1 || s.inventory.sale.status !== 'scheduled') return undefined;
  const dry = freeUnits(s) === 0;
  if (dry === s.announcedDry) return undefined;
  const { saleId } = s.inventory.sale.terms;
  return {
    type: 'ShardDry',
    eventId: dryEventId(saleId, s.shard, s.announcements + 1),
    occurredAt: now,
    correlationId: saleId,
    causationId: null,
    saleId,
    shard: s.shard,
    dry,
  };
}
