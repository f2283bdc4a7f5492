// How units move between the shards of a sale: who asks whom, how much is given, how a move
// is folded on each side, and how a shard tells the others it ran dry.
import { describe, expect, it } from 'vitest';
import { unitsToGive, whomToAsk } from '../../../domain/claiming/shards/giving.js';
import { evolveShard, freeUnits } from '../../../domain/claiming/shards/shardInventory.js';
import { initialShardSlots } from '../../../domain/claiming/shards/shardOf.js';
import { claim, T0 } from '../../support/claimingFixtures.js';
import { moved, NOW, onShard, runOn, shardedSale, shopperOn, wanted } from '../../support/shardFixtures.js';

const answer = (request: ReturnType<typeof wanted>, now = NOW) => ({ type: 'AnswerUnitsWanted' as const, request, now });

describe('asking for units', () => {
  // Shard 0 of 3 starts with 30 units; it gave 27 to shard 2, which then had 3.
  const sale = shardedSale(3, 90);
  const gaveAway = initialShardSlots(90, 3)[0]!.slice(0, 27);
  const given = [
    sale,
    wanted(0, 2, { askerFree: 3, unitsLacking: 0 }),
    moved(0, 2, gaveAway, { requestId: 'sale-1#2:want:1', giverFree: 3 }),
  ];

  it('asks the shard believed to hold the most once a grant takes it below its low-water mark', () => {
    onShard(0)
      .given(given)
      .when(claim('tx-1', shopperOn(0, 3)))
      .thenMatches([
        { type: 'ClaimGranted', slotIds: ['sale-1:82'] },
        { type: 'UnitsWanted', fromShard: 1, toShard: 0, requestId: 'sale-1#0:want:1', askerFree: 2, unitsLacking: 0 },
      ]);
  });

  it('asks no one again while its request is unanswered, and the next best once refused', () => {
    const { state, events } = runOn(0, given, [claim('tx-1', shopperOn(0, 3)), claim('tx-2', shopperOn(0, 3, 1))]);
    expect(events.map((e) => e.type)).toEqual(['ClaimGranted', 'UnitsWanted', 'ClaimGranted']);
    // Shard 1 had sold down to 1 unit; shard 2 holds the 27 it was given and its own 3.
    const refused = moved(1, 0, [], { requestId: 'sale-1#0:want:1', giverFree: 1 });
    onShard(0)
      .given([...given, ...events, refused])
      .when(claim('tx-3', shopperOn(0, 3, 2)))
      .thenMatches([
        { type: 'ClaimGranted', slotIds: ['sale-1:88'] },
        { type: 'UnitsWanted', fromShard: 2, requestId: 'sale-1#0:want:2' },
        { type: 'ShardDry', shard: 0, dry: true },
      ]);
    expect(state.asking).toBe('sale-1#0:want:1');
  });

  it('asks round robin among shards believed to hold as many, never one known dry', () => {
    const { state } = runOn(0, [shardedSale(4, 40)], []);
    const dry = { ...state, inventory: { ...state.inventory, free: [] } };
    expect(whomToAsk(dry)).toBe(1);
    expect(whomToAsk({ ...dry, lastAsked: 1 })).toBe(2);
    expect(whomToAsk({ ...dry, lastAsked: 3 })).toBe(1);
    expect(whomToAsk({ ...dry, others: new Map(dry.others).set(1, { dry: true, free: 0 }) })).toBe(2);
    expect(whomToAsk({ ...dry, others: new Map(dry.others).set(3, { dry: false, free: 11 }) })).toBe(3);
  });

  it('asks for nothing while merely low, when no shard is believed to have two more than it', () => {
    const { state } = runOn(0, [shardedSale(2, 2)], []);
    expect(whomToAsk({ ...state, inventory: { ...state.inventory, free: [] } })).toBeUndefined();
  });
});

describe('giving units', () => {
  // Shard 0 of 2 starts with the odd slots 1..19.
  const sale = shardedSale(2, 20);

  it('gives half of what it has more than the asker, its highest-numbered units', () => {
    onShard(0)
      .given([sale])
      .when(answer(wanted(0, 1, { askerFree: 2, unitsLacking: 0 })))
      .thenMatches([
        { type: 'UnitsMoved', fromShard: 0, toShard: 1, slotIds: ['sale-1:13', 'sale-1:15', 'sale-1:17', 'sale-1:19'], giverFree: 6 },
      ]);
  });

  it('refuses with an empty move rather than fall below the asker', () => {
    onShard(0)
      .given([sale])
      .when(answer(wanted(0, 1, { askerFree: 9, unitsLacking: 0 })))
      .thenMatches([{ type: 'UnitsMoved', slotIds: [], giverFree: 10 }]);
  });

  it("gives what the asker's waiting claim lacks, past the half, and tells the others when that leaves it dry", () => {
    const request = wanted(0, 1, { askerFree: 0, unitsLacking: 2 });
    onShard(0)
      .given([shardedSale(2, 4), request])
      .when(answer(request))
      .thenMatches([
        { type: 'UnitsMoved', slotIds: ['sale-1:1', 'sale-1:3'], giverFree: 0 },
        { type: 'ShardDry', shard: 0, dry: true },
      ]);
  });

  it('keeps its last unit from a shard that is dry with no claim waiting, so it cannot come back and forth', () => {
    expect(unitsToGive(1, { askerFree: 0, unitsLacking: 0 })).toBe(0);
    expect(unitsToGive(1, { askerFree: 0, unitsLacking: 1 })).toBe(1);
    expect(unitsToGive(2, { askerFree: 0, unitsLacking: 3 })).toBe(2);
    expect(unitsToGive(7, { askerFree: 0, unitsLacking: 0 })).toBe(3);
  });

  it('answers the same request again with the same move, and takes its units out once', () => {
    const request = wanted(0, 1, { askerFree: 0, unitsLacking: 0 });
    const { state, events } = runOn(0, [sale], [answer(request), answer(request, NOW + 5_000)]);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual(events[0]);
    expect(freeUnits(state)).toBe(5);
  });

  it('throws on a request for another shard: the router sent it astray', () => {
    onShard(0)
      .given([sale])
      .when(answer(wanted(1, 0, { askerFree: 0, unitsLacking: 0 })))
      .thenThrows('asks shard 1');
  });
});

describe('folding a move', () => {
  it('adds the units moved in to its free set once, however often folded, and ends its request', () => {
    const { state } = runOn(0, [shardedSale(2, 4)], []);
    const asking = evolveShard(state, { ...wanted(1, 0, { askerFree: 0, unitsLacking: 1 }), occurredAt: T0 });
    const move = moved(1, 0, [2, 4]);
    const once = evolveShard(asking, move);
    expect(once.inventory.free).toEqual([1, 2, 3, 4]);
    expect(once.asking).toBeUndefined();
    expect(evolveShard(once, move)).toEqual(once);
  });
});

describe('telling the other shards', () => {
  const sale = shardedSale(2, 2, { reservationSeconds: 1 });
  const shopper = shopperOn(0, 2);

  it('says it is dry when its last unit is granted, and not dry when a release brings one back', () => {
    const { events } = runOn(0, [sale], [claim('tx-1', shopper)]);
    expect(events).toMatchObject([{ type: 'ClaimGranted' }, { type: 'ShardDry', shard: 0, dry: true }]);
    onShard(0)
      .given([sale, ...events])
      .when({ type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: NOW + 1_000 })
      .thenMatches([{ type: 'ReservationReleased' }, { type: 'ShardDry', shard: 0, dry: false }]);
  });

  it('says nothing on a sale of one shard', () => {
    onShard(0)
      .given([shardedSale(1, 1)])
      .when(claim('tx-1', shopper))
      .thenMatches([{ type: 'ClaimGranted' }]);
  });
});
