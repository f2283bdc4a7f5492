// The facts a sale split into shards adds to an unsharded sale's (docs/design/sharded-sales.md).
// Typed here until the Avro schemas gain them (step 1 of the design's order of work, then
// these become EventOf<...>); a sale of one shard never produces any of them.
import type { EventOf } from '../../../schemas/events/index.js';
import type { EndingEvent } from '../inventory.js';

type Envelope = { eventId: string; occurredAt: number; correlationId: string; causationId: string | null };

/** SaleScheduled, which carries the number of shards its stock is split into (Avro v3: int, default 1). */
export type ShardedSaleScheduled = EventOf<'SaleScheduled'>;

/**
 * A claim its shard could not serve from its own units while another shard may still have some:
 * it waits, in arrival order, for units to arrive, for every shard to be known dry, or for the
 * park time. The edge answers it 202. occurredAt is when the claim was asked (the claim's `now`).
 */
export type ClaimParked = Envelope & {
  type: 'ClaimParked';
  /** The ClaimRequested event's id, as on the decision that ends the wait. */
  causationId: string;
  transactionId: string;
  saleId: string;
  userId: string;
  quantity: number;
  shard: number;
};

/** Shard `toShard` ran low (or has a claim waiting) and asks shard `fromShard` for units; on fromShard's partition. */
export type UnitsWanted = Envelope & {
  type: 'UnitsWanted';
  saleId: string;
  fromShard: number;
  toShard: number;
  requestId: string;
  /** The asker's free units when it asked: the giver never gives so many it falls below them. */
  askerFree: number;
  /** Units the asker cannot do without: what its oldest waiting claim lacks; 0 when merely low (even dry). */
  unitsLacking: number;
};

/**
 * fromShard took these slots out of its free set when it decided the move; toShard adds them
 * when it folds this event (on toShard's partition). No slots: a refusal, nothing to spare.
 */
export type UnitsMoved = Envelope & {
  type: 'UnitsMoved';
  saleId: string;
  fromShard: number;
  toShard: number;
  requestId: string;
  slotIds: string[];
  /** The giver's free units after the move, so the asker knows whom to ask next. */
  giverFree: number;
};

/** A shard ran out of free units (dry) or has some again; sent to every other shard's partition. */
export type ShardDry = Envelope & { type: 'ShardDry'; saleId: string; shard: number; dry: boolean };

/** A refusal; parkTimedOut marks the bounded false sold-out of a claim that waited SHARD_PARK_MS (Avro: boolean, default false). */
export type ShardClaimRejected = EventOf<'ClaimRejected'> & { parkTimedOut?: boolean };

export type ShardDecision = EventOf<'ClaimGranted'> | ShardClaimRejected;
export type ShardMessage = UnitsWanted | UnitsMoved | ShardDry;

/** Everything a shard's decider emits and folds. */
export type ShardEvent = ShardDecision | EndingEvent | ClaimParked | ShardMessage;

export const parkedEventId = (transactionId: string) => `parked:${transactionId}`;
/** One hash tag per shard, as the design's Redis keys: unique per sale, shard and request. */
export const unitsRequestId = (saleId: string, shard: number, nth: number) => `${saleId}#${shard}:want:${nth}`;
export const wantedEventId = (requestId: string) => `wanted:${requestId}`;
export const movedEventId = (requestId: string) => `moved:${requestId}`;
export const dryEventId = (saleId: string, shard: number, nth: number) => `dry:${saleId}#${shard}:${nth}`;
