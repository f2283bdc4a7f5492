// The claim decider's rules, as given/when/then specifications.
import { describe, expect, it } from 'vitest';
import type { DecisionEvent } from '../../../domain/claiming/inventory.js';
import { foldInventory } from '../../../domain/claiming/inventory.js';
import { claim, given, run, saleClosed, saleScheduled, T0 } from '../../support/claimingFixtures.js';

const scheduled = saleScheduled({ stock: 3, perUserLimit: 2, reservationSeconds: 300 });

function grantOf(events: readonly unknown[]) {
  const [e] = events as DecisionEvent[];
  if (e?.type !== 'ClaimGranted') throw new Error(`expected a grant, got ${JSON.stringify(e)}`);
  return e;
}

describe('deciding a claim', () => {
  it('grants the lowest free slots, priced per unit, reserved for reservationSeconds', () => {
    expect(given([scheduled]).when(claim('tx-1', 'u-1', 2))).toEqual([
      {
        type: 'ClaimGranted',
        eventId: 'decision:tx-1',
        occurredAt: T0 + 1_000,
        correlationId: 'tx-1',
        causationId: 'claim-tx-1',
        transactionId: 'tx-1',
        saleId: 'sale-1',
        userId: 'u-1',
        quantity: 2,
        slotIds: ['sale-1:1', 'sale-1:2'],
        amountMinor: 3998,
        currency: 'EUR',
        expiresAt: T0 + 1_000 + 300_000,
      },
    ]);
  });

  it('refuses a claim before the sale starts, at its end, and once closed', () => {
    expect(given([scheduled]).when(claim('tx-1', 'u-1', 1, T0 - 1))).toMatchObject([{ type: 'ClaimRejected', reason: 'sale_not_open' }]);
    expect(given([scheduled]).when(claim('tx-1', 'u-1', 1, scheduled.endsAt))).toMatchObject([{ reason: 'sale_not_open' }]);
    expect(given([scheduled, saleClosed()]).when(claim('tx-1', 'u-1'))).toMatchObject([{ reason: 'sale_not_open' }]);
  });

  it('refuses a claim on a sale nobody scheduled', () => {
    expect(given([]).when(claim('tx-1', 'u-1'))).toMatchObject([{ type: 'ClaimRejected', reason: 'sale_not_open' }]);
  });

  it('refuses a second live reservation of the same user as a duplicate', () => {
    const first = given([scheduled]).when(claim('tx-1', 'u-1'));
    expect(given([scheduled, ...first]).when(claim('tx-2', 'u-1'))).toMatchObject([{ reason: 'duplicate' }]);
  });

  it('refuses a claim that would take the user over the per-user limit, counting paid units', () => {
    expect(given([scheduled]).when(claim('tx-1', 'u-1', 3))).toMatchObject([{ reason: 'limit_exceeded' }]);
    const { events } = run(
      [
        claim('tx-1', 'u-1', 2),
        { type: 'SettleReservation', transactionId: 'tx-1', saleId: 'sale-1', paymentEventId: 'p:1', now: T0 + 2_000 },
      ],
      [scheduled],
    );
    expect(given([scheduled, ...events]).when(claim('tx-2', 'u-1', 1))).toMatchObject([{ reason: 'limit_exceeded' }]);
  });

  it('grants the last unit and refuses the claim after it as sold out', () => {
    const { events } = run([claim('tx-1', 'u-1', 2)], [scheduled]);
    expect(given([scheduled, ...events]).when(claim('tx-2', 'u-2', 2))).toMatchObject([{ reason: 'sold_out' }]);
    const last = given([scheduled, ...events]).when(claim('tx-3', 'u-2', 1));
    expect(grantOf(last).slotIds).toEqual(['sale-1:3']);
    expect(given([scheduled, ...events, ...last]).when(claim('tx-4', 'u-3', 1))).toMatchObject([{ reason: 'sold_out' }]);
  });

  it('never grants part of a claim', () => {
    const { events } = run([claim('tx-1', 'u-1', 2)], [scheduled]);
    expect(given([scheduled, ...events]).when(claim('tx-2', 'u-2', 2))).toMatchObject([{ type: 'ClaimRejected', reason: 'sold_out' }]);
  });

  it('answers a transaction decided before with its first decision, unchanged', () => {
    const { events } = run([claim('tx-1', 'u-1', 1), claim('tx-2', 'u-2', 2)], [scheduled]);
    const again = given([scheduled, ...events]).when({ ...claim('tx-1', 'u-1', 1, T0 + 9_000), claimEventId: 'another-request' });
    expect(again).toEqual([events[0]]);
  });
});

describe('expiry and payment', () => {
  const granted = run([claim('tx-1', 'u-1', 2)], [scheduled]).events;
  const expiresAt = grantOf(granted).expiresAt;

  it('releases an unpaid reservation once its time is up, and its slots are handed out again', () => {
    expect(
      given([scheduled, ...granted]).when({ type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: expiresAt - 1 }),
    ).toEqual([]);
    const released = given([scheduled, ...granted]).when({
      type: 'ReleaseExpired',
      transactionId: 'tx-1',
      saleId: 'sale-1',
      now: expiresAt,
    });
    expect(released).toMatchObject([
      { type: 'ReservationReleased', eventId: 'release:tx-1', slotIds: ['sale-1:1', 'sale-1:2'], reason: 'expired' },
    ]);
    const next = given([scheduled, ...granted, ...released]).when(claim('tx-2', 'u-1', 2, expiresAt + 1));
    expect(grantOf(next).slotIds).toEqual(['sale-1:1', 'sale-1:2']);
  });

  it('settles a live reservation on payment, and then never releases it', () => {
    const settle = {
      type: 'SettleReservation',
      transactionId: 'tx-1',
      saleId: 'sale-1',
      paymentEventId: 'demo-pay:e1',
      now: T0 + 5_000,
    } as const;
    const settled = given([scheduled, ...granted]).when(settle);
    expect(settled).toMatchObject([{ type: 'ReservationSettled', eventId: 'settle:tx-1', paymentEventId: 'demo-pay:e1' }]);
    expect(
      given([scheduled, ...granted, ...settled]).when({ type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: expiresAt }),
    ).toEqual([]);
    expect(given([scheduled, ...granted, ...settled]).when(settle)).toEqual(settled);
    expect(given([scheduled, ...granted, ...settled]).when({ ...settle, paymentEventId: 'demo-pay:e2' })).toEqual([]);
  });

  it('settles nothing for a payment that comes after the release', () => {
    const released = given([scheduled, ...granted]).when({
      type: 'ReleaseExpired',
      transactionId: 'tx-1',
      saleId: 'sale-1',
      now: expiresAt,
    });
    const late = {
      type: 'SettleReservation',
      transactionId: 'tx-1',
      saleId: 'sale-1',
      paymentEventId: 'demo-pay:e1',
      now: expiresAt + 1,
    } as const;
    expect(given([scheduled, ...granted, ...released]).when(late)).toEqual([]);
  });
});

describe('the inventory fold', () => {
  it('folds a release that reaches the topic after the grant that reused its slot to the same state', () => {
    const small = saleScheduled({ stock: 1, reservationSeconds: 1 });
    const { events } = run(
      [
        claim('tx-1', 'u-1'),
        { type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: T0 + 2_000 },
        claim('tx-2', 'u-2', 1, T0 + 3_000),
      ],
      [small],
    );
    const [grant1, release1, grant2] = events;
    const inOrder = foldInventory([small, grant1!, release1!, grant2!]);
    const swapped = foldInventory([small, grant1!, grant2!, release1!]);
    expect(swapped).toEqual(inOrder);
    expect(inOrder.free).toEqual([]);
    expect(inOrder.holders.get(1)).toBe('tx-2');
  });

  it('folds a release that reaches the topic before its own grant to the same state', () => {
    const { events } = run(
      [claim('tx-1', 'u-1'), { type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: T0 + 400_000 }],
      [scheduled],
    );
    const [grant, release] = events;
    expect(foldInventory([scheduled, release!, grant!])).toMatchObject({ free: [1, 2, 3], held: new Map(), live: new Map() });
  });
});
