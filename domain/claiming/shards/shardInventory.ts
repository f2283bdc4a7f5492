// One shard of a sale as a fold: today's inventory over the shard's own units and shoppers
// (inventory.ts, unchanged), plus the claims waiting for units, what it believes of the other
// shards, and the moves it gave and received, each remembered by requestId so a replay folds
// a move once on each side.
import type { EventOf } from '../../../schemas/events/index.js';
import { evolve as evolveInventory, initialInventory, type SaleInventory, slotNumber } from '../inventory.js';
import type { ClaimParked, ShardDry, ShardedSaleScheduled, ShardEvent, UnitsMoved, UnitsWanted } from './shardEvents.js';
import { initialShardSlots } from './shardOf.js';

/** What a shard knows of another: whether it said it is dry, and the free units it last reported. */
export type ShardBelief = { dry: boolean; free: number };

export type ShardInventory = {
  shard: number;
  /** K, the sale's shard count; 1 until the sale is scheduled. */
  shards: number;
  /** How long a parked claim waits before it is refused sold out (SHARD_PARK_MS). */
  parkMs: number;
  /** Today's one-shard state, over this shard's units and shoppers. */
  inventory: SaleInventory;
  /** Claims waiting for units, oldest first. */
  parked: readonly ClaimParked[];
  /** Every other shard, by number. */
  others: ReadonlyMap<number, ShardBelief>;
  /** The one UnitsWanted this shard sent and has no answer to yet. */
  asking: string | undefined;
  /** Whom it asked last: ties between equally stocked shards go round robin after it. */
  lastAsked: number | undefined;
  requestsSent: number;
  /** Moves this shard decided as giver, by requestId: asked again, it answers the same. */
  given: ReadonlyMap<string, UnitsMoved>;
  /** requestIds of the moves folded in. */
  received: ReadonlySet<string>;
  /** What the others were last told (ShardDry); kept equal to "no free unit" after every decision. */
  announcedDry: boolean;
  announcements: number;
};

export const SHARD_PARK_MS_DEFAULT = 2_000;

export function initialShardInventory({ shard, parkMs = SHARD_PARK_MS_DEFAULT }: { shard: number; parkMs?: number }): ShardInventory {
  return {
    shard,
    shards: 1,
    parkMs,
    inventory: initialInventory,
    parked: [],
    others: new Map(),
    asking: undefined,
    lastAsked: undefined,
    requestsSent: 0,
    given: new Map(),
    received: new Set(),
    announcedDry: false,
    announcements: 0,
  };
}

/** Everything a shard folds: what it emits, what other shards send it, and the sale's own facts. */
export type ShardFact =
  ShardEvent | ShardedSaleScheduled | EventOf<'SaleClosed'> | EventOf<'LatePaymentAccepted'> | EventOf<'UnitsReturned'>;

export function evolveShard(state: ShardInventory, fact: ShardFact): ShardInventory {
  switch (fact.type) {
    case 'SaleScheduled':
      return schedule(state, fact);
    case 'ClaimGranted':
    case 'ClaimRejected':
      return {
        ...state,
        inventory: evolveInventory(state.inventory, fact),
        parked: state.parked.filter((p) => p.transactionId !== fact.transactionId),
      };
    case 'SaleClosed':
    case 'ReservationReleased':
    case 'ReservationSettled':
    case 'LatePaymentAccepted':
    case 'UnitsReturned':
      return { ...state, inventory: evolveInventory(state.inventory, fact) };
    case 'ClaimParked':
      return foldParked(state, fact);
    case 'UnitsWanted':
      return foldWanted(state, fact);
    case 'UnitsMoved':
      return fact.fromShard === state.shard ? foldGiven(state, fact) : foldReceived(state, fact);
    case 'ShardDry':
      return foldDry(state, fact);
  }
}

export const freeUnits = (state: ShardInventory) => state.inventory.free.length;

function schedule(state: ShardInventory, sale: ShardedSaleScheduled): ShardInventory {
  if (state.inventory.sale.status === 'scheduled') return state; // scheduled once
  if (!Number.isInteger(sale.shards) || sale.shards < 1 || state.shard >= sale.shards) {
    throw new Error(`sale ${sale.saleId}: shard ${state.shard} of ${sale.shards} shards`);
  }
  const shares = initialShardSlots(sale.stock, sale.shards);
  const own = shares[state.shard]!;
  const scheduled = evolveInventory(state.inventory, sale);
  // Today's fold frees every slot 1..stock; a shard starts with its own only.
  const free = sortedUnion(
    state.inventory.free,
    own.filter((n) => !state.inventory.holders.has(n)),
  );
  const others = new Map<number, ShardBelief>();
  for (const [k, slots] of shares.entries()) if (k !== state.shard) others.set(k, { dry: slots.length === 0, free: slots.length });
  // Every shard works out the starting shares alike, so a shard that starts empty is known dry without saying so.
  return { ...state, shards: sale.shards, inventory: { ...scheduled, free }, others, announcedDry: own.length === 0 };
}

function foldParked(state: ShardInventory, parked: ClaimParked): ShardInventory {
  const known =
    state.parked.some((p) => p.transactionId === parked.transactionId) ||
    state.inventory.transactions.get(parked.transactionId)?.decision !== undefined;
  return known ? state : { ...state, parked: [...state.parked, parked] };
}

function foldWanted(state: ShardInventory, wanted: UnitsWanted): ShardInventory {
  if (wanted.toShard === state.shard) {
    if (state.asking === wanted.requestId || state.received.has(wanted.requestId)) return state;
    return { ...state, asking: wanted.requestId, lastAsked: wanted.fromShard, requestsSent: state.requestsSent + 1 };
  }
  return { ...state, others: withBelief(state.others, wanted.toShard, (b) => ({ ...b, free: wanted.askerFree })) };
}

function foldGiven(state: ShardInventory, moved: UnitsMoved): ShardInventory {
  if (state.given.has(moved.requestId)) return state;
  const slots = new Set(moved.slotIds.map(slotNumber));
  const free = state.inventory.free.filter((n) => !slots.has(n));
  // Decided by this shard from its free set: a slot it did not have is a broken invariant.
  if (free.length !== state.inventory.free.length - slots.size)
    throw new Error(`move ${moved.requestId}: slots not free on shard ${state.shard}`);
  return {
    ...state,
    inventory: { ...state.inventory, free },
    given: new Map(state.given).set(moved.requestId, moved),
    others: withBelief(state.others, moved.toShard, (b) => ({ ...b, free: b.free + moved.slotIds.length })),
  };
}

function foldReceived(state: ShardInventory, moved: UnitsMoved): ShardInventory {
  if (moved.toShard !== state.shard) throw new Error(`move ${moved.requestId} folded on shard ${state.shard}, neither end of it`);
  if (state.received.has(moved.requestId)) return state;
  return {
    ...state,
    inventory: { ...state.inventory, free: sortedUnion(state.inventory.free, moved.slotIds.map(slotNumber)) },
    received: new Set(state.received).add(moved.requestId),
    asking: state.asking === moved.requestId ? undefined : state.asking,
    others: withBelief(state.others, moved.fromShard, (b) => ({ ...b, free: moved.giverFree })),
  };
}

function foldDry(state: ShardInventory, said: ShardDry): ShardInventory {
  if (said.shard === state.shard) {
    return state.announcedDry === said.dry ? state : { ...state, announcedDry: said.dry, announcements: state.announcements + 1 };
  }
  // "Not dry" says nothing of how many: at least one.
  return { ...state, others: withBelief(state.others, said.shard, (b) => ({ dry: said.dry, free: said.dry ? 0 : Math.max(1, b.free) })) };
}

function withBelief(others: ReadonlyMap<number, ShardBelief>, shard: number, change: (b: ShardBelief) => ShardBelief) {
  const before = others.get(shard);
  // Before the sale is scheduled here there are no beliefs yet; SaleScheduled sets them all.
  if (!before) return others;
  return new Map(others).set(shard, change(before));
}

function sortedUnion(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
