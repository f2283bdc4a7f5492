// Invariants of the claim decider over random command sequences (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evolve, foldInventory, type InventoryEvent, type SaleInventory } from '../../../domain/claiming/inventory.js';
import { eventsOf } from '../../support/claimingFixtures.js';
import { type Scenario, scenarioArbitrary } from '../../support/claimingArbitraries.js';

function play({ sale, steps }: Scenario) {
  let state = evolve(foldInventory([]), sale);
  const events: InventoryEvent[] = [sale];
  const states: SaleInventory[] = [state];
  for (const step of steps) {
    for (const e of eventsOf(step, state, sale.saleId)) {
      state = evolve(state, e);
      events.push(e);
      states.push(state);
    }
  }
  return { state, events, states };
}

/** Units sold or reserved now, per transaction: granted and not released. */
function holding(state: SaleInventory) {
  return [...state.transactions.values()].flatMap((tx) =>
    tx.decision?.type === 'ClaimGranted' && tx.ending?.type !== 'ReservationReleased' ? [tx.decision] : [],
  );
}

describe('the claim decider', () => {
  it('never has more units granted than the stock, and every slot is either free or held by one transaction', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), (scenario) => {
        for (const state of play(scenario).states.slice(1)) {
          for (const g of holding(state)) expect(g.slotIds).toHaveLength(g.quantity);
          const held = holding(state).flatMap((g) => g.slotIds);
          expect(held.length).toBeLessThanOrEqual(scenario.sale.stock);
          expect(new Set(held).size).toBe(held.length);
          expect(held.length + state.free.length).toBe(scenario.sale.stock);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a user hold more than the per-user limit', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), (scenario) => {
        for (const state of play(scenario).states) {
          const perUser = new Map<string, number>();
          for (const g of holding(state)) perUser.set(g.userId, (perUser.get(g.userId) ?? 0) + g.quantity);
          for (const units of perUser.values()) expect(units).toBeLessThanOrEqual(scenario.sale.perUserLimit);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('gives a transaction the same decision however often it is claimed', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), (scenario) => {
        const first = new Map<string, InventoryEvent>();
        for (const e of play(scenario).events) {
          if (e.type !== 'ClaimGranted' && e.type !== 'ClaimRejected') continue;
          const seen = first.get(e.transactionId);
          if (seen) expect(e).toEqual(seen);
          else first.set(e.transactionId, e);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('folds any interleaving of decisions, releases and settlements to the same state', () => {
    fc.assert(
      fc.property(scenarioArbitrary(), fc.infiniteStream(fc.nat(2)), (scenario, picks) => {
        const { state, events } = play(scenario);
        // Each producer's events keep their own order; the three streams interleave at random.
        const lanes = [
          events.filter((e) => e.type !== 'ReservationReleased' && e.type !== 'ReservationSettled'),
          events.filter((e) => e.type === 'ReservationReleased'),
          events.filter((e) => e.type === 'ReservationSettled'),
        ];
        const interleaved: InventoryEvent[] = [lanes[0]!.shift()!]; // the SaleScheduled comes first
        const pick = picks[Symbol.iterator]();
        while (lanes.some((l) => l.length > 0)) {
          const lane = lanes[pick.next().value as number]!;
          const next = lane.shift();
          if (next) interleaved.push(next);
        }
        const refolded = foldInventory(interleaved);
        expect(refolded.free).toEqual(state.free);
        expect(refolded.holders).toEqual(state.holders);
        expect(refolded.held).toEqual(state.held);
        expect(refolded.live).toEqual(state.live);
        expect(refolded.transactions).toEqual(state.transactions);
      }),
      { numRuns: 500 },
    );
  });
});
