// Invariants of a sale split into K shards, over random runs where every message between shards
// is delayed arbitrarily but delivered in order per destination (fast-check).
import fc from 'fast-check';
import prand from 'pure-rand';
import { describe, expect, it } from 'vitest';
import { evolve, initialInventory, type SaleInventory } from '../../../domain/claiming/inventory.js';
import { decideShard, type ShardCommand } from '../../../domain/claiming/shards/decideShard.js';
import type { ShardEvent } from '../../../domain/claiming/shards/shardEvents.js';
import { evolveShard, freeUnits, initialShardInventory, type ShardFact } from '../../../domain/claiming/shards/shardInventory.js';
import { scenarioArbitrary } from '../../support/claimingArbitraries.js';
import { eventsOf } from '../../support/claimingFixtures.js';
import { PARK_MS, play, type ShardScenario, shardScenarioArbitrary, startScenario } from '../../support/shardScenario.js';
import { messagesWaiting, quiesce, type Simulation, whereUnitsAre } from '../../support/shardSimulator.js';

// One seed for every run of the suite, so CI sees the same histories each time (a failure
// prints its seed and path); PROPERTY_SEED explores others.
fc.configureGlobal({ seed: Number(process.env.PROPERTY_SEED ?? 19_2026) });

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Every unit in exactly one place: free on one shard, moving, or held; never more held than stock. */
function expectUnitsConserved(sim: Simulation) {
  const { free, inFlight, held } = whereUnitsAre(sim);
  expect(held.length).toBeLessThanOrEqual(sim.sale.stock);
  expect([...free, ...inFlight, ...held].sort((a, b) => a - b)).toEqual(range(sim.sale.stock));
}

function expectWithinUserLimit(sim: Simulation) {
  const perUser = new Map<string, number>();
  for (const s of sim.shards) for (const [user, units] of s.inventory.held) perUser.set(user, (perUser.get(user) ?? 0) + units);
  for (const units of perUser.values()) expect(units).toBeLessThanOrEqual(sim.sale.perUserLimit);
}

/**
 * A sold_out while another shard holds a free unit is false; it may happen only when the claim
 * waited out the park time, or when that shard's "not dry any more" is still on its way here.
 * `decided` holds the transactions decided before: asked again, they get their first decision
 * again, true when it was made.
 */
function expectHonestSoldOut(sim: Simulation, shard: number, events: readonly ShardEvent[], decided: Set<string>) {
  for (const e of events) {
    if (e.type !== 'ClaimRejected' && e.type !== 'ClaimGranted') continue;
    if (decided.has(e.transactionId)) continue;
    decided.add(e.transactionId);
    if (e.type !== 'ClaimRejected' || e.reason !== 'sold_out') continue;
    if (e.parkTimedOut) {
      const parked = sim.folded[shard]!.find((f) => f.type === 'ClaimParked' && f.transactionId === e.transactionId);
      expect(e.occurredAt - parked!.occurredAt).toBeGreaterThanOrEqual(PARK_MS);
      continue;
    }
    for (const [other, s] of sim.shards.entries()) {
      if (other === shard || freeUnits(s) === 0) continue;
      expect(sim.inboxes[shard]).toContainEqual(expect.objectContaining({ type: 'ShardDry', shard: other, dry: false }));
    }
  }
}

type Check = (sim: Simulation, shard: number, events: readonly ShardEvent[]) => void;

/** Runs a scenario, then brings it to rest, calling `check` after every step. */
function runScenario(scenario: ShardScenario, seed: number, check: Check = () => {}) {
  const sim = startScenario(scenario);
  const userOf = new Map<number, number>();
  const afterStep = (shard: number, events: readonly ShardEvent[]) => check(sim, shard, events);
  for (const o of scenario.ops) play(sim, o, userOf, afterStep);
  const rng = prand.xoroshiro128plus(seed);
  quiesce(sim, (choices) => prand.unsafeUniformIntDistribution(0, choices - 1, rng), afterStep);
  return { sim, userOf };
}

const scenarios = fc.tuple(shardScenarioArbitrary, fc.integer());

describe('a sale split into shards', () => {
  it('keeps every unit in exactly one place, free, moving or held, and shoppers within their limit, after every step', () => {
    fc.assert(
      fc.property(scenarios, ([scenario, seed]) => {
        runScenario(scenario, seed, (sim) => {
          expectUnitsConserved(sim);
          expectWithinUserLimit(sim);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses sold out while another shard has a free unit only when its "not dry" is on the way or the claim waited out the park time', () => {
    fc.assert(
      fc.property(scenarios, ([scenario, seed]) => {
        const decided = new Set<string>();
        runScenario(scenario, seed, (sim, shard, events) => expectHonestSoldOut(sim, shard, events, decided));
      }),
      { numRuns: 300 },
    );
  });

  it('parks no claim while no message is on its way, and at rest has decided every claim', () => {
    fc.assert(
      fc.property(scenarios, ([scenario, seed]) => {
        // A parked claim always has its request, or the answer, on the way.
        const { sim, userOf } = runScenario(scenario, seed, (during) => {
          if (!messagesWaiting(during)) for (const s of during.shards) expect(s.parked).toEqual([]);
        });
        for (const [tx, user] of userOf) {
          const shard = sim.shards.find((s) => s.inventory.transactions.has(`tx-${tx}`));
          expect(shard?.inventory.transactions.get(`tx-${tx}`)?.decision, `tx-${tx} of u-${user}`).toBeDefined();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('rebuilds each shard from what it folded, even with every fact folded twice', () => {
    fc.assert(
      fc.property(scenarios, ([scenario, seed]) => {
        const { sim } = runScenario(scenario, seed);
        for (const [shard, facts] of sim.folded.entries()) {
          const initial = initialShardInventory({ shard, parkMs: PARK_MS });
          expect(facts.reduce(evolveShard, initial)).toEqual(sim.shards[shard]);
          expect(facts.flatMap((f) => [f, f]).reduce(evolveShard, initial)).toEqual(sim.shards[shard]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('a sale of one shard', () => {
  it('decides every command exactly as the unsharded decider, and folds to the same inventory', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), ({ sale, steps }) => {
        let today = evolve(initialInventory, sale);
        let shard = evolveShard(initialShardInventory({ shard: 0 }), { ...sale, shards: 1 });
        for (const step of steps) {
          const expected = eventsOf(step, today, sale.saleId);
          const decided: ShardFact[] = [];
          const onShard = (command: ShardCommand) => {
            const events = decideShard(command, shard);
            shard = events.reduce(evolveShard, shard);
            decided.push(...events);
          };
          if ('close' in step) {
            // The same SaleClosed fact reaches both.
            for (const e of expected) {
              if (e.type !== 'SaleClosed') throw new Error(`closing decided ${e.type}`);
              decided.push(e);
              shard = evolveShard(shard, e);
            }
          } else if ('expireDue' in step) {
            for (const transactionId of dueAt(shard.inventory, step.expireDue)) {
              onShard({ type: 'ReleaseExpired', transactionId, saleId: sale.saleId, now: step.expireDue });
            }
          } else onShard(step.command);
          expect(decided).toEqual(expected);
          today = expected.reduce(evolve, today);
          expect(shard.inventory).toEqual(today);
          expect(shard.parked).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

/** The live grants whose time is up, soonest first, as the expiry worker releases them (claimingFixtures' eventsOf). */
function dueAt(inventory: SaleInventory, now: number): string[] {
  return [...inventory.transactions.entries()]
    .flatMap(([tx, t]) =>
      t.decision?.type === 'ClaimGranted' && !t.ending && t.decision.expiresAt <= now ? [[tx, t.decision.expiresAt] as const] : [],
    )
    .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : 1))
    .map(([tx]) => tx);
}
