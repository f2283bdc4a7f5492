// The Redis scripts implement the same rules as the pure decider: the same random command
// sequences, run through both, give the same events and the same inventory.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../../domain/claiming/decide.js';
import { evolve, foldInventory, type InventoryEvent } from '../../../domain/claiming/inventory.js';
import { loadConfig } from '../../../platform/config.js';
import { createInventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { inventoryKeys } from '../../../writeModel/keys.js';
import { eventsOf, saleClosed } from '../../support/claimingFixtures.js';
import { type Scenario, scenarioArbitrary } from '../../support/claimingArbitraries.js';
import { domainView, readInventory } from '../../support/inventoryState.js';
import { deleteStoreKeys } from '../../support/redisPrefix.js';
import { markStoreReady } from '../../support/storeReady.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(loadConfig().redisUrl);
});
afterAll(() => redis.disconnect());

const EPOCH = 'epoch-1';
/** Every transaction id a scenario can use (see claimingArbitraries.ts), for cleanup. */
const scenarioTxs = Array.from({ length: 12 }, (_, i) => `sale-1-tx-${i}`);
const cleanup = (topicPrefix: string) => deleteStoreKeys(redis, inventoryKeys(topicPrefix).prefix, ['sale-1'], scenarioTxs);

type Step = Parameters<typeof eventsOf>[0];

/** The events the store's scripts make of one step; none to compare for a close, which is only applied. */
async function storeEventsOf(
  scripts: ReturnType<typeof createInventoryScripts>,
  step: Step,
  saleId: string,
): Promise<InventoryEvent[] | undefined> {
  if ('close' in step) {
    await scripts.apply({ mode: 'direct' }, [{ event: saleClosed(saleId) }]);
    return undefined;
  }
  if ('expireDue' in step) {
    const r = await scripts.releaseDue(EPOCH, step.expireDue, 1_000);
    if (r.kind !== 'ok') throw new Error(r.kind);
    // The expiry worker frees the slots once Kafka has the releases: the domain's fold is of the log.
    await scripts.published(
      'releases',
      r.value.map((e) => e.transactionId),
    );
    return r.value;
  }
  const c = step.command;
  if (c.type === 'RequestClaim') {
    const r = await scripts.decide(EPOCH, c.now, [c]);
    if (r.kind !== 'ok') throw new Error(r.kind);
    return r.value;
  }
  if (c.type === 'SettleReservation') {
    const r = await scripts.settle(EPOCH, c.now, [c]);
    if (r.kind !== 'ok') throw new Error(r.kind);
    return r.value.flatMap((o) => ('event' in o ? [o.event] : []));
  }
  throw new Error('the store releases only what is due (expireDue)');
}

async function runBoth({ sale, steps: given }: Scenario): Promise<void> {
  // The store's expiry releases everything due at once: a single release becomes that.
  const steps = given.map((s) => ('command' in s && s.command.type === 'ReleaseExpired' ? { expireDue: s.command.now } : s));
  const topicPrefix = `tagree-${crypto.randomBytes(4).toString('hex')}`;
  const scripts = createInventoryScripts(redis, topicPrefix);
  await markStoreReady(redis, topicPrefix, EPOCH);
  try {
    await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
    let state = evolve(foldInventory([]), sale);
    const txIds = new Set<string>();
    for (const step of steps) {
      const expected = eventsOf(step, state, sale.saleId);
      for (const e of expected) state = evolve(state, e);
      if ('command' in step) txIds.add(step.command.transactionId);
      const actual = await storeEventsOf(scripts, step, sale.saleId);
      if (actual) expect(actual).toEqual(expected);
    }
    expect(await readInventory(redis, topicPrefix, sale.saleId, [...txIds])).toEqual(domainView(state));
  } finally {
    await cleanup(topicPrefix);
  }
}

/** The events of a scenario as the decider makes them, and the ids of its transactions. */
function play({ sale, steps }: Scenario) {
  let state = evolve(foldInventory([]), sale);
  const events: InventoryEvent[] = [sale];
  for (const step of steps) {
    for (const e of eventsOf(step, state, sale.saleId)) {
      state = evolve(state, e);
      events.push(e);
    }
  }
  const txIds = [...new Set(events.flatMap((e) => ('transactionId' in e ? [e.transactionId] : [])))];
  return { events, txIds };
}

/** Each producer's events in their own order, the three producers interleaved at random. */
function interleave(events: InventoryEvent[], picks: number[]): InventoryEvent[] {
  const lanes = [
    events.filter((e) => e.type !== 'ReservationReleased' && e.type !== 'ReservationSettled'),
    events.filter((e) => e.type === 'ReservationReleased'),
    events.filter((e) => e.type === 'ReservationSettled'),
  ];
  const out: InventoryEvent[] = [lanes[0]!.shift()!];
  let i = 0;
  while (lanes.some((l) => l.length > 0)) {
    const pick = picks[i++ % picks.length]!;
    // The picked lane, or the next one that still has events.
    const lane = [0, 1, 2].map((k) => lanes[(pick + k) % 3]!).find((l) => l.length > 0)!;
    out.push(lane.shift()!);
  }
  return out;
}

describe('the Redis fold', () => {
  it('folds any interleaving of decisions, releases and settlements, each applied twice, as the pure fold does', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(), fc.array(fc.nat(2), { minLength: 1, maxLength: 30 }), async (scenario, picks) => {
        const { events, txIds } = play(scenario);
        const interleaved = interleave(events, picks);
        const topicPrefix = `tagree-${crypto.randomBytes(4).toString('hex')}`;
        const scripts = createInventoryScripts(redis, topicPrefix);
        await markStoreReady(redis, topicPrefix, EPOCH);
        try {
          await scripts.apply(
            { mode: 'direct' },
            [...interleaved, ...interleaved].map((event) => ({ event })),
          );
          const expected = domainView(foldInventory(interleaved));
          expect(await readInventory(redis, topicPrefix, scenario.sale.saleId, txIds)).toEqual(expected);
        } finally {
          await cleanup(topicPrefix);
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('the Redis decision scripts', () => {
  it('decide, release and settle exactly as the pure decider does', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(), (scenario) => runBoth(scenario)),
      { numRuns: 150 },
    );
  });

  it('decide a batch of claims at one instant as the decider does one after the other', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary(), async ({ sale, steps }) => {
        const claims = steps.flatMap((s) =>
          'command' in s && s.command.type === 'RequestClaim' ? [{ ...s.command, now: sale.startsAt + 1 }] : [],
        );
        await runBoth({ sale, steps: claims.map((command) => ({ command })) });
        // And as one script call:
        const topicPrefix = `tagree-${crypto.randomBytes(4).toString('hex')}`;
        const scripts = createInventoryScripts(redis, topicPrefix);
        await markStoreReady(redis, topicPrefix, EPOCH);
        try {
          await scripts.apply({ mode: 'direct' }, [{ event: sale }]);
          const r = await scripts.decide(EPOCH, sale.startsAt + 1, claims);
          let state = evolve(foldInventory([]), sale);
          const expected = claims.map((c) => {
            const [e] = decide(c, state);
            state = evolve(state, e);
            return e;
          });
          expect(r).toEqual({ kind: 'ok', value: expected });
        } finally {
          await cleanup(topicPrefix);
        }
      }),
      { numRuns: 50 },
    );
  });
});
