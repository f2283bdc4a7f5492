// Random runs of a sale split into 1 to 4 shards: claims by a few shoppers, messages between
// shards delivered in any order that keeps each destination's order, time passing, expiries,
// payments and park timers, all through the simulator (shardSimulator.ts).
import fc from 'fast-check';
import { saleScheduled, T0 } from './claimingFixtures.js';
import { type AfterStep, deliver, run, type Simulation, shardOfUser, startSimulation } from './shardSimulator.js';

export const PARK_MS = 2_000;

export type ShardOp =
  | { kind: 'claim'; tx: number; user: number; quantity: number }
  | { kind: 'deliver'; shard: number }
  | { kind: 'wait'; ms: number }
  | { kind: 'expire' }
  | { kind: 'settle'; tx: number }
  | { kind: 'tick'; shard: number };

const op: fc.Arbitrary<ShardOp> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      tx: fc.nat(19),
      user: fc.nat(9),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('deliver' as const), shard: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 1_500 }) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle' as const), tx: fc.nat(19) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const), shard: fc.nat(3) }) },
);

export type ShardScenario = { shards: number; stock: number; perUserLimit: number; reservationSeconds: number; ops: ShardOp[] };

export const shardScenarioArbitrary: fc.Arbitrary<ShardScenario> = fc.record({
  shards: fc.integer({ min: 1, max: 4 }),
  stock: fc.integer({ min: 1, max: 12 }),
  perUserLimit: fc.integer({ min: 1, max: 3 }),
  reservationSeconds: fc.integer({ min: 1, max: 3 }),
  ops: fc.array(op, { minLength: 10, maxLength: 80, size: 'large' }),
});

export function startScenario({ shards, stock, perUserLimit, reservationSeconds }: ShardScenario): Simulation {
  const sale = { ...saleScheduled({ stock, perUserLimit, reservationSeconds, endsAt: T0 + 3_600_000 }), shards };
  return startSimulation(sale, PARK_MS, T0 + 100);
}

/**
 * Plays one op; `afterStep` sees each shard's events as it emits them. A transaction belongs
 * to the user who first claims with it (the edge opens it for them), and so to their shard.
 */
export function play(sim: Simulation, o: ShardOp, userOf: Map<number, number>, afterStep: AfterStep) {
  const { saleId } = sim.sale;
  const shards = sim.sale.shards;
  switch (o.kind) {
    case 'claim': {
      const userId = `u-${userOf.get(o.tx) ?? o.user}`;
      userOf.set(o.tx, userOf.get(o.tx) ?? o.user);
      const transactionId = `tx-${o.tx}`;
      const shard = shardOfUser(sim, userId);
      const claimEventId = `claim-${transactionId}-${sim.now}`;
      afterStep(
        shard,
        run(sim, shard, { type: 'RequestClaim', transactionId, saleId, userId, quantity: o.quantity, claimEventId, now: sim.now }),
      );
      return;
    }
    case 'deliver':
      afterStep(o.shard % shards, deliver(sim, o.shard % shards) ?? []);
      return;
    case 'wait':
      sim.now += o.ms;
      return;
    case 'expire':
      releaseDue(sim, afterStep);
      return;
    case 'settle': {
      const user = userOf.get(o.tx);
      if (user === undefined) return;
      const transactionId = `tx-${o.tx}`;
      const shard = shardOfUser(sim, `u-${user}`);
      const paymentEventId = `demo-pay:${transactionId}`;
      afterStep(
        shard,
        run(sim, shard, { type: 'SettleReservation', transactionId, saleId, paymentEventId, partnerId: 'demo-pay', now: sim.now }),
      );
      return;
    }
    case 'tick':
      afterStep(o.shard % shards, run(sim, o.shard % shards, { type: 'DecideParked', now: sim.now }));
      return;
  }
}

/** The expiry worker's turn: every live grant whose time is up is released, on its shard. */
function releaseDue(sim: Simulation, afterStep: AfterStep) {
  for (const [shard, s] of sim.shards.entries()) {
    for (const [transactionId, tx] of s.inventory.transactions) {
      if (tx.decision?.type !== 'ClaimGranted' || tx.ending || tx.decision.expiresAt > sim.now) continue;
      afterStep(shard, run(sim, shard, { type: 'ReleaseExpired', transactionId, saleId: sim.sale.saleId, now: sim.now }));
    }
  }
}
