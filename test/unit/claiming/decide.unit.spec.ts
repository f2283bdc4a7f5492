// The claim decider's rules, as given/when/then specifications.
import { describe, expect, it } from 'vitest';
import { type InventoryCommand, inventoryDecider, type ReleaseExpired, type SettleReservation } from '../../../domain/claiming/decide.js';
import type { DecisionEvent, InventoryEvent, SaleInventory } from '../../../domain/claiming/inventory.js';
import { foldInventory } from '../../../domain/claiming/inventory.js';
import { claim, run, saleClosed, saleScheduled, T0 } from '../../support/claimingFixtures.js';
import { spec } from '../../support/deciderSpec.js';

// Decisions are compared with events the fixtures fold, so both sides are inventory events.
const { given } = spec<InventoryCommand, InventoryEvent, SaleInventory, InventoryEvent>(inventoryDecider);
const scheduled = saleScheduled({ stock: 3, perUserLimit: 2, reservationSeconds: 300 });

function grantOf(events: readonly unknown[]) {
  const [e] = events as DecisionEvent[];
  if (e?.type !== 'ClaimGranted') throw new Error(`expected a grant, got ${JSON.stringify(e)}`);
  return e;
}

const expire = (now: number): ReleaseExpired => ({ type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now });
const pay = (paymentEventId: string, now: number, partnerId = 'demo-pay'): SettleReservation => ({
  type: 'SettleReservation',
  transactionId: 'tx-1',
  saleId: 'sale-1',
  paymentEventId,
  partnerId,
  now,
});

describe('deciding a claim', () => {
  it('grants the lowest free slots, priced per unit, reserved for reservationSeconds', () => {
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 2 }))
      .then([
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

  it('takes claims from the first millisecond of the sale to the last before its end', () => {
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 1, now: scheduled.startsAt }))
      .thenMatches([{ type: 'ClaimGranted' }]);
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 1, now: scheduled.endsAt - 1 }))
      .thenMatches([{ type: 'ClaimGranted' }]);
  });

  it('refuses a claim before the sale starts, at its end, and once closed', () => {
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 1, now: T0 - 1 }))
      .thenMatches([{ type: 'ClaimRejected', reason: 'sale_not_open' }]);
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 1, now: scheduled.endsAt }))
      .thenMatches([{ reason: 'sale_not_open' }]);
    given([scheduled, saleClosed()])
      .when(claim('tx-1', 'u-1'))
      .thenMatches([{ reason: 'sale_not_open' }]);
  });

  it('refuses a claim on a sale nobody scheduled', () => {
    given([])
      .when(claim('tx-1', 'u-1'))
      .thenMatches([{ type: 'ClaimRejected', reason: 'sale_not_open' }]);
  });

  it('throws on a claim for no unit: the edge never sends one', () => {
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 0 }))
      .thenThrows('quantity must be a positive integer');
  });

  it('refuses a second live reservation of the same user as a duplicate', () => {
    const { events: first } = run([claim('tx-1', 'u-1')], [scheduled]);
    given([scheduled, ...first])
      .when(claim('tx-2', 'u-1'))
      .thenMatches([{ reason: 'duplicate' }]);
  });

  it('refuses a claim that would take the user over the per-user limit, counting paid units', () => {
    given([scheduled])
      .when(claim('tx-1', 'u-1', { quantity: 3 }))
      .thenMatches([{ reason: 'limit_exceeded' }]);
    const { events } = run([claim('tx-1', 'u-1', { quantity: 2 }), pay('p:1', T0 + 2_000)], [scheduled]);
    given([scheduled, ...events])
      .when(claim('tx-2', 'u-1', { quantity: 1 }))
      .thenMatches([{ reason: 'limit_exceeded' }]);
  });

  it('grants the last unit and refuses the claim after it as sold out', () => {
    const { events } = run([claim('tx-1', 'u-1', { quantity: 2 })], [scheduled]);
    given([scheduled, ...events])
      .when(claim('tx-2', 'u-2', { quantity: 2 }))
      .thenMatches([{ reason: 'sold_out' }]);
    given([scheduled, ...events])
      .when(claim('tx-3', 'u-2', { quantity: 1 }))
      .thenMatches([{ type: 'ClaimGranted', slotIds: ['sale-1:3'] }]);
    const { events: last } = run([claim('tx-3', 'u-2', { quantity: 1 })], [scheduled, ...events]);
    given([scheduled, ...events, ...last])
      .when(claim('tx-4', 'u-3', { quantity: 1 }))
      .thenMatches([{ reason: 'sold_out' }]);
  });

  it('never grants part of a claim', () => {
    const { events } = run([claim('tx-1', 'u-1', { quantity: 2 })], [scheduled]);
    given([scheduled, ...events])
      .when(claim('tx-2', 'u-2', { quantity: 2 }))
      .thenMatches([{ type: 'ClaimRejected', reason: 'sold_out' }]);
  });

  it('answers a transaction decided before with its first decision, unchanged', () => {
    const { events } = run([claim('tx-1', 'u-1', { quantity: 1 }), claim('tx-2', 'u-2', { quantity: 2 })], [scheduled]);
    given([scheduled, ...events])
      .when({ ...claim('tx-1', 'u-1', { quantity: 1, now: T0 + 9_000 }), claimEventId: 'another-request' })
      .then([events[0]!]);
  });
});

describe('expiry and payment', () => {
  const granted = run([claim('tx-1', 'u-1', { quantity: 2 })], [scheduled]).events;
  const expiresAt = grantOf(granted).expiresAt;
  const released = run([expire(expiresAt)], [scheduled, ...granted]).events;

  it('releases an unpaid reservation once its time is up, and its slots are handed out again', () => {
    given([scheduled, ...granted])
      .when(expire(expiresAt - 1))
      .thenNothing();
    given([scheduled, ...granted])
      .when(expire(expiresAt))
      .thenMatches([{ type: 'ReservationReleased', eventId: 'release:tx-1', slotIds: ['sale-1:1', 'sale-1:2'], reason: 'expired' }]);
    given([scheduled, ...granted, ...released])
      .when(claim('tx-2', 'u-1', { quantity: 2, now: expiresAt + 1 }))
      .thenMatches([{ type: 'ClaimGranted', slotIds: ['sale-1:1', 'sale-1:2'] }]);
  });

  it('settles a live reservation on payment, and then never releases it', () => {
    const settle = pay('demo-pay:e1', T0 + 5_000);
    given([scheduled, ...granted])
      .when(settle)
      .thenMatches([{ type: 'ReservationSettled', eventId: 'settle:tx-1', paymentEventId: 'demo-pay:e1' }]);
    const { events: settled } = run([settle], [scheduled, ...granted]);
    given([scheduled, ...granted, ...settled])
      .when(expire(expiresAt))
      .thenNothing();
    given([scheduled, ...granted, ...settled])
      .when(settle)
      .then(settled);
    given([scheduled, ...granted, ...settled])
      .when(pay('demo-pay:e2', T0 + 5_000))
      .thenNothing();
  });

  it("settles nothing for another partner's payment: the reservation stays live for the sale's own partner", () => {
    // The sale belongs to demo-pay (the fixture's partner); other-pay signs a payment for its transaction.
    given([scheduled, ...granted])
      .when(pay('other-pay:e1', T0 + 5_000, 'other-pay'))
      .thenNothing();
    given([scheduled, ...granted])
      .when(pay('demo-pay:e1', T0 + 6_000))
      .thenMatches([{ type: 'ReservationSettled', paymentEventId: 'demo-pay:e1' }]);
    given([scheduled, ...granted])
      .when(expire(expiresAt))
      .thenMatches([{ type: 'ReservationReleased', eventId: 'release:tx-1' }]);
  });

  it('settles nothing for a payment that comes after the release', () => {
    given([scheduled, ...granted, ...released])
      .when(pay('demo-pay:e1', expiresAt + 1))
      .thenNothing();
  });
});

describe('the inventory fold', () => {
  it('folds a release that reaches the topic after the grant that reused its slot to the same state', () => {
    const small = saleScheduled({ stock: 1, reservationSeconds: 1 });
    const { events } = run(
      [
        claim('tx-1', 'u-1'),
        { type: 'ReleaseExpired', transactionId: 'tx-1', saleId: 'sale-1', now: T0 + 2_000 },
        claim('tx-2', 'u-2', { quantity: 1, now: T0 + 3_000 }),
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
