// Random command sequences against one sale: claims (with repeated transactions), expiries
// at random times, payments (some repeated, some second payments, some from a partner that
// is not the sale's), and an early close. Some
// claims fall on the sale window's edges (a millisecond before, at, and after startsAt and
// endsAt), where an off-by-one between the Lua and domain/claiming/saleWindow.ts would show.
import fc from 'fast-check';
import type { InventoryCommand } from '../../domain/claiming/decide.js';
import type { EventOf } from '../../schemas/events/index.js';
import { saleScheduled, T0 } from './claimingFixtures.js';

export type Scenario = { sale: EventOf<'SaleScheduled'>; steps: Step[] };
/** expireDue: what the expiry worker does on a turn: release every live grant whose time is up at `now`. */
export type Step = { command: InventoryCommand } | { close: true } | { expireDue: number };

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('claim' as const),
      tx: fc.nat(11),
      user: fc.nat(4),
      quantity: fc.integer({ min: 1, max: 3 }),
      // One claim in six lands on an edge of the window.
      atEdge: fc.oneof(
        { weight: 5, arbitrary: fc.constant(null) },
        {
          weight: 1,
          arbitrary: fc.record({ edge: fc.constantFrom('startsAt' as const, 'endsAt' as const), offset: fc.integer({ min: -1, max: 1 }) }),
        },
      ),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), tx: fc.nat(11) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'expire' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      tx: fc.nat(11),
      payment: fc.nat(1),
      // One payment in four comes from a partner the sale does not belong to: it must settle nothing.
      partnerId: fc.oneof({ weight: 3, arbitrary: fc.constant('demo-pay') }, { weight: 1, arbitrary: fc.constant('other-pay') }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 2_500 }) }) },
);

export function scenarioArbitrary(saleId = 'sale-1'): fc.Arbitrary<Scenario> {
  return fc
    .record({
      stock: fc.integer({ min: 1, max: 8 }),
      perUserLimit: fc.integer({ min: 1, max: 3 }),
      reservationSeconds: fc.integer({ min: 1, max: 2 }),
      startsLate: fc.boolean(),
      ops: fc.array(op, { minLength: 10, maxLength: 50, size: 'large' }),
      closeAfter: fc.option(fc.nat(40), { freq: 4 }),
    })
    .map(({ stock, perUserLimit, reservationSeconds, startsLate, ops, closeAfter }) => {
      const sale = saleScheduled({
        saleId,
        stock,
        perUserLimit,
        reservationSeconds,
        startsAt: startsLate ? T0 + 2_000 : T0,
        endsAt: T0 + 40_000,
      });
      // A transaction belongs to one user: the edge opens it for them at entry.
      const userOf = new Map<number, number>();
      let now = T0 + 100;
      const steps: Step[] = [];
      for (const [i, o] of ops.entries()) {
        now += 100;
        if (i === closeAfter) steps.push({ close: true });
        const tx = `${saleId}-tx-${'tx' in o ? o.tx : 0}`;
        switch (o.kind) {
          case 'claim': {
            const user = userOf.get(o.tx) ?? o.user;
            userOf.set(o.tx, user);
            steps.push({
              command: {
                type: 'RequestClaim',
                transactionId: tx,
                saleId,
                userId: `u-${user}`,
                quantity: o.quantity,
                claimEventId: `c-${steps.length}`,
                // On an edge, off the running clock (which goes on from where it was).
                now: o.atEdge ? sale[o.atEdge.edge] + o.atEdge.offset : now,
              },
            });
            break;
          }
          case 'release':
            steps.push({ command: { type: 'ReleaseExpired', transactionId: tx, saleId, now } });
            break;
          case 'settle':
            steps.push({
              command: {
                type: 'SettleReservation',
                transactionId: tx,
                saleId,
                paymentEventId: `${o.partnerId}:${tx}:${o.payment}`,
                partnerId: o.partnerId,
                now,
              },
            });
            break;
          case 'expire':
            steps.push({ expireDue: now });
            break;
          case 'wait':
            now += o.ms;
            break;
        }
      }
      return { sale, steps };
    });
}
