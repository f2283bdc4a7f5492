// K shards of one sale as pure deciders, and the partitions between them: every message a
// shard sends waits in its destination's queue, delivered in order whenever the test says.
// Mutable on purpose: it is the harness around the pure deciders, not part of the model.
import { slotNumber } from '../../domain/claiming/inventory.js';
import { commandFor, decideShard, type ShardCommand } from '../../domain/claiming/shards/decideShard.js';
import type { ShardedSaleScheduled, ShardEvent, ShardMessage } from '../../domain/claiming/shards/shardEvents.js';
import { evolveShard, initialShardInventory, type ShardFact, type ShardInventory } from '../../domain/claiming/shards/shardInventory.js';
import { shardOf } from '../../domain/claiming/shards/shardOf.js';

export type Simulation = {
  sale: ShardedSaleScheduled;
  shards: ShardInventory[];
  /** Per destination shard (its partition): messages sent to it, not yet delivered, in order. */
  inboxes: ShardMessage[][];
  /** Per shard: everything it folded, in order, as a rebuild would replay it. */
  folded: ShardFact[][];
  now: number;
};

export function startSimulation(sale: ShardedSaleScheduled, parkMs: number, now: number): Simulation {
  const shards = Array.from({ length: sale.shards }, (_, shard) => evolveShard(initialShardInventory({ shard, parkMs }), sale));
  return {
    sale,
    shards,
    inboxes: shards.map(() => []),
    folded: shards.map(() => [sale]),
    now,
  };
}

export const shardOfUser = (sim: Simulation, userId: string) => shardOf(userId, sim.sale.shards);

/** Runs a command on a shard: its events are folded there and its messages queued where they go. */
export function run(sim: Simulation, shard: number, command: ShardCommand): ShardEvent[] {
  const events = decideShard(command, sim.shards[shard]!);
  for (const e of events) fold(sim, shard, e);
  for (const e of events) route(sim, shard, e);
  return events;
}

/** Folds a fact on one shard without deciding (SaleClosed reaching it from the sales topic). */
export function fold(sim: Simulation, shard: number, fact: ShardFact): void {
  sim.shards[shard] = evolveShard(sim.shards[shard]!, fact);
  sim.folded[shard]!.push(fact);
}

/** Delivers the oldest message waiting for `shard`: folded there, then decided on. Nothing waiting: undefined. */
export function deliver(sim: Simulation, shard: number): ShardEvent[] | undefined {
  const message = sim.inboxes[shard]!.shift();
  if (!message) return undefined;
  fold(sim, shard, message);
  return run(sim, shard, commandFor(message, sim.now));
}

/** Each message to the partition of the shard that must act on it; decisions and endings go to no other shard. */
function route(sim: Simulation, from: number, e: ShardEvent): void {
  if (e.type === 'UnitsWanted') sim.inboxes[e.fromShard]!.push(e);
  else if (e.type === 'UnitsMoved') sim.inboxes[e.toShard]!.push(e);
  else if (e.type === 'ShardDry') for (const [k, inbox] of sim.inboxes.entries()) if (k !== from) inbox.push(e);
}

/** Where every unit is: slot numbers free on some shard, moving between shards, held (live or paid). */
export function whereUnitsAre(sim: Simulation) {
  const inFlight = sim.inboxes.flatMap((inbox) => inbox.flatMap((m) => (m.type === 'UnitsMoved' ? m.slotIds.map(slotNumber) : [])));
  return {
    free: sim.shards.flatMap((s) => s.inventory.free),
    inFlight,
    held: sim.shards.flatMap((s) => [...s.inventory.holders.keys()]),
  };
}

export const messagesWaiting = (sim: Simulation) => sim.inboxes.some((inbox) => inbox.length > 0);

/**
 * Brings the simulation to rest: delivers waiting messages, a shard at a time in the order
 * `pick` chooses, and between batches lets the park time pass and gives every shard its
 * timer's turn (time goes on while messages fly: two shards may pass units back and forth
 * for claims until the timer ends them). Ends once a timer turn leaves nothing waiting;
 * one that does not end within `roundsMax` batches is a failure.
 */
export function quiesce(sim: Simulation, pick: (choices: number) => number, afterStep: AfterStep = () => {}, roundsMax = 20): void {
  for (let round = 0; round < roundsMax; round++) {
    for (let delivered = 0; delivered < 500 && messagesWaiting(sim); delivered++) {
      const waiting = sim.inboxes.flatMap((inbox, k) => (inbox.length > 0 ? [k] : []));
      const shard = waiting[pick(waiting.length)]!;
      afterStep(shard, deliver(sim, shard)!);
    }
    sim.now += sim.shards[0]!.parkMs;
    for (const k of sim.shards.keys()) afterStep(k, run(sim, k, { type: 'DecideParked', now: sim.now }));
    if (!messagesWaiting(sim)) return;
  }
  throw new Error(`no quiescence after ${roundsMax} rounds`);
}

/** Called with the shard that acted and what it emitted, after each step, for the invariants to be checked there. */
export type AfterStep = (shard: number, events: readonly ShardEvent[]) => void;
