// How units move between the shards of a sale: how many a shard gives when asked, how many
// an asker lacks, and whom it asks. Pure rules over counts, shared by the decider and its tests.
import { type ShardInventory, freeUnits } from './shardInventory.js';
import { lowWaterMark } from './shardOf.js';

/**
 * Units a shard with `free` units gives to an asker: half of what it has more than the asker
 * (so it never falls below the asker), but at least what the asker's waiting claim lacks
 * while it has that many. Only a claim earns more than the half: a shard merely dry gets its
 * fair share and no more, or the last unit of a sale would go back and forth between two
 * shards for ever, each dry in turn (the design's "at least one to a dry asker" did that).
 */
export function unitsToGive(free: number, ask: { askerFree: number; unitsLacking: number }): number {
  const fairShare = Math.max(0, Math.floor((free - ask.askerFree) / 2));
  return Math.min(free, Math.max(fairShare, ask.unitsLacking));
}

/** What this shard cannot do without: what its oldest waiting claim lacks (0 with none waiting). */
export function unitsLacking(state: ShardInventory): number {
  const oldest = state.parked[0];
  return oldest ? Math.max(0, oldest.quantity - freeUnits(state)) : 0;
}

/** The shard has claims waiting, or fewer free units than its low-water mark. */
export function wantsUnits(state: ShardInventory): boolean {
  if (state.inventory.sale.status !== 'scheduled') return false;
  const { stock } = state.inventory.sale.terms;
  return unitsLacking(state) > 0 || freeUnits(state) < lowWaterMark(stock, state.shards);
}

/** Every other shard said it is dry (or started empty): no unit is to be had from them. */
export function othersAllDry(state: ShardInventory): boolean {
  return [...state.others.values()].every((b) => b.dry);
}

/**
 * Whom to ask: the shard believed to hold the most among those not known dry, round robin
 * after the last one asked among equals. Merely low (lacking nothing), it asks only a shard
 * believed to have enough more than itself to give one.
 */
export function whomToAsk(state: ShardInventory): number | undefined {
  const free = freeUnits(state);
  const needy = unitsLacking(state) > 0;
  const after = state.lastAsked ?? state.shard;
  // Distance after the last asked, in the cyclic order of shard numbers: smaller asks first.
  const turn = (k: number) => (k - after - 1 + state.shards) % state.shards;
  let best: { shard: number; free: number } | undefined;
  for (const [shard, belief] of state.others) {
    if (belief.dry || (!needy && unitsToGive(belief.free, { askerFree: free, unitsLacking: 0 }) === 0)) continue;
    if (!best || belief.free > best.free || (belief.free === best.free && turn(shard) < turn(best.shard)))
      best = { shard, free: belief.free };
  }
  return best?.shard;
}
