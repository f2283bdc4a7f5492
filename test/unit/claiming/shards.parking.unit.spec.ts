// A claim its shard cannot serve while another shard may have units is parked, not refused:
// decided when units arrive (oldest first), when every other shard is known dry, or when it
// has waited SHARD_PARK_MS. And a release gives its units back to the holder's shard.
import { describe, expect, it } from 'vitest';
import { claim, saleClosed } from '../../support/claimingFixtures.js';
import { dry, moved, NOW, onShard, PARK_MS, runOn, shardedSale, shopperOn, tick } from '../../support/shardFixtures.js';

// Shard 0 of 2 starts with slot 1, shard 1 with slot 2; shoppers may hold 3 units.
const sale = shardedSale(2, 2);
const [alice, bob] = [shopperOn(0, 2, 0), shopperOn(0, 2, 1)];
const parkedTwo = runOn(0, [sale], [claim('tx-1', alice, { quantity: 2 })]).events;

describe('parking a claim', () => {
  it('parks a claim its shard cannot serve while another may have units, and asks for what it lacks', () => {
    expect(parkedTwo).toMatchObject([
      {
        type: 'ClaimParked',
        eventId: 'parked:tx-1',
        transactionId: 'tx-1',
        quantity: 2,
        shard: 0,
        occurredAt: NOW,
        causationId: 'claim-tx-1',
      },
      { type: 'UnitsWanted', fromShard: 1, toShard: 0, askerFree: 1, unitsLacking: 1 },
    ]);
  });

  it('parks a claim behind a waiting one, even one it could serve now', () => {
    onShard(0)
      .given([sale, ...parkedTwo])
      .when(claim('tx-2', bob, { quantity: 1 }))
      .thenMatches([{ type: 'ClaimParked', transactionId: 'tx-2' }]);
  });

  it('refuses sold out at once when every other shard is known dry', () => {
    onShard(0)
      .given([sale, dry(1)])
      .when(claim('tx-1', alice, { quantity: 2 }))
      .thenMatches([{ type: 'ClaimRejected', reason: 'sold_out' }]);
  });

  it('answers nothing new to a parked claim asked again', () => {
    onShard(0)
      .given([sale, ...parkedTwo])
      .when(claim('tx-1', alice, { quantity: 2, now: NOW + 100 }))
      .thenNothing();
  });
});

describe('deciding parked claims', () => {
  const waiting = [sale, ...parkedTwo, ...runOn(0, [sale, ...parkedTwo], [claim('tx-2', bob)]).events];

  it('grants the oldest first once units arrive, reserved from the grant, and refuses the next once all are dry', () => {
    const { events } = runOn(0, [...waiting, moved(1, 0, [2], { giverFree: 0 }), dry(1)], [tick(NOW + 500)]);
    expect(events).toMatchObject([
      {
        type: 'ClaimGranted',
        transactionId: 'tx-1',
        slotIds: ['sale-1:1', 'sale-1:2'],
        occurredAt: NOW + 500,
        expiresAt: NOW + 500 + 300_000,
      },
      { type: 'ClaimRejected', transactionId: 'tx-2', reason: 'sold_out', occurredAt: NOW + 500, causationId: 'claim-tx-2' },
      { type: 'ShardDry', shard: 0, dry: true },
    ]);
    expect(events[1]).not.toHaveProperty('parkTimedOut');
  });

  it('refuses a parked claim sold out, marked as timed out, once it waited SHARD_PARK_MS and not a millisecond before', () => {
    onShard(0)
      .given([sale, ...parkedTwo])
      .when(tick(NOW + PARK_MS - 1))
      .thenNothing();
    onShard(0)
      .given([sale, ...parkedTwo])
      .when(tick(NOW + PARK_MS))
      .thenMatches([{ type: 'ClaimRejected', transactionId: 'tx-1', reason: 'sold_out', parkTimedOut: true, occurredAt: NOW + PARK_MS }]);
  });

  it("decides by the rules as they stand at the grant: the same shopper's second claim is a duplicate by then", () => {
    const twice = runOn(0, [sale, ...parkedTwo], [claim('tx-2', alice)]).events;
    expect(twice).toMatchObject([{ type: 'ClaimParked', transactionId: 'tx-2' }]);
    onShard(0)
      .given([sale, ...parkedTwo, ...twice, moved(1, 0, [2], { giverFree: 0 })])
      .when(tick(NOW + 500))
      .thenMatches([
        { type: 'ClaimGranted', transactionId: 'tx-1' },
        { type: 'ClaimRejected', transactionId: 'tx-2', reason: 'duplicate' },
        { type: 'ShardDry', dry: true },
      ]);
  });

  it('refuses parked claims once the sale is closed', () => {
    onShard(0)
      .given([...waiting, saleClosed()])
      .when(tick(NOW + 1))
      .thenMatches([
        { type: 'ClaimRejected', transactionId: 'tx-1', reason: 'sale_not_open' },
        { type: 'ClaimRejected', transactionId: 'tx-2', reason: 'sale_not_open' },
      ]);
  });
});

describe('releasing', () => {
  it("gives a released unit back to its holder's shard, wherever the unit started", () => {
    const short = shardedSale(2, 2, { reservationSeconds: 1 });
    const { state, events } = runOn(
      0,
      [short, moved(1, 0, [2], { giverFree: 0 })],
      [claim('tx-1', alice, { quantity: 2 }), { type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: NOW + 1_000 }],
    );
    expect(events).toMatchObject([
      { type: 'ClaimGranted', slotIds: ['sale-1:1', 'sale-1:2'] },
      { type: 'ShardDry', dry: true },
      { type: 'ReservationReleased', slotIds: ['sale-1:1', 'sale-1:2'] },
      { type: 'ShardDry', dry: false },
    ]);
    expect(state.inventory.free).toEqual([1, 2]);
  });
});
