// Facts and commands of one shard of a sale, for the shard decider's specifications.
import { type ShardCommand, decideShard } from '../../domain/claiming/shards/decideShard.js';
import type { ShardDry, ShardedSaleScheduled, ShardEvent, UnitsMoved, UnitsWanted } from '../../domain/claiming/shards/shardEvents.js';
import { evolveShard, initialShardInventory, type ShardFact, type ShardInventory } from '../../domain/claiming/shards/shardInventory.js';
import { shardOf } from '../../domain/claiming/shards/shardOf.js';
import { spec } from './deciderSpec.js';
import { saleScheduled, T0 } from './claimingFixtures.js';

export const PARK_MS = 2_000;
export const NOW = T0 + 1_000;

export function shardedSale(shards: number, stock: number, overrides: Partial<ShardedSaleScheduled> = {}): ShardedSaleScheduled {
  return { ...saleScheduled({ stock, perUserLimit: 3, ...overrides }), shards };
}

const envelope = (eventId: string, now: number) => ({ eventId, occurredAt: now, correlationId: eventId, causationId: null });

/** Another shard tells this one it ran dry, or has units again. */
export const dry = (shard: number, isDry = true, now = NOW): ShardDry => ({
  type: 'ShardDry',
  ...envelope(`dry-${shard}-${String(isDry)}-${now}`, now),
  saleId: 'sale-1',
  shard,
  dry: isDry,
});

export function wanted(fromShard: number, toShard: number, ask: { askerFree: number; unitsLacking: number; nth?: number }): UnitsWanted {
  const requestId = `sale-1#${toShard}:want:${ask.nth ?? 1}`;
  return { type: 'UnitsWanted', ...envelope(`wanted:${requestId}`, NOW), saleId: 'sale-1', fromShard, toShard, requestId, ...ask };
}

export function moved(
  fromShard: number,
  toShard: number,
  slots: number[],
  { requestId = `sale-1#${toShard}:want:1`, giverFree = 1 } = {},
): UnitsMoved {
  return {
    type: 'UnitsMoved',
    ...envelope(`moved:${requestId}`, NOW),
    saleId: 'sale-1',
    fromShard,
    toShard,
    requestId,
    slotIds: slots.map((n) => `sale-1:${n}`),
    giverFree,
  };
}

/** Specifications of shard `shard`: given facts, when a command, then its events. */
export const onShard = (shard: number) =>
  spec<ShardCommand, ShardEvent, ShardInventory, ShardFact>({
    decide: decideShard,
    evolve: evolveShard,
    initialState: initialShardInventory({ shard, parkMs: PARK_MS }),
  });

/** Runs commands on shard `shard` after the given facts, folding each decision: the state and every event. */
export function runOn(shard: number, facts: readonly ShardFact[], commands: readonly ShardCommand[]) {
  let state = facts.reduce(evolveShard, initialShardInventory({ shard, parkMs: PARK_MS }));
  const events: ShardEvent[] = [];
  for (const c of commands) {
    const out = decideShard(c, state);
    state = out.reduce(evolveShard, state);
    events.push(...out);
  }
  return { state, events };
}

export const tick = (now: number): ShardCommand => ({ type: 'DecideParked', now });

/** The nth shopper id (u-0, u-1, ...) whose claims go to shard `shard` of `shards`. */
export function shopperOn(shard: number, shards: number, nth = 0): string {
  for (let i = 0, found = 0; i < 10_000; i++) {
    if (shardOf(`u-${i}`, shards) === shard && found++ === nth) return `u-${i}`;
  }
  throw new Error(`no shopper on shard ${shard} of ${shards}`);
}
