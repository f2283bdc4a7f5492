// The bench's end-of-run check over the sales topic: it must catch an oversold sale, a slot
// held twice, a user over the limit and a transaction decided twice, and pass a clean run.
import { describe, expect, it } from 'vitest';
import { createInvariantCheck } from '../../../bench/invariants.js';
import type { EventOf } from '../../../schemas/events/index.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const base = sampleEvents('s');
const scheduled = (stock: number, perUserLimit: number): EventOf<'SaleScheduled'> => ({ ...base.SaleScheduled, stock, perUserLimit });
const grant = (tx: string, user: string, slots: number[]): EventOf<'ClaimGranted'> => ({
  ...base.ClaimGranted,
  eventId: `decision:${tx}`,
  transactionId: tx,
  userId: user,
  quantity: slots.length,
  slotIds: slots.map((n) => `s:${n}`),
});
const reject = (tx: string, reason: EventOf<'ClaimRejected'>['reason']): EventOf<'ClaimRejected'> => ({
  ...base.ClaimRejected,
  eventId: `decision:${tx}`,
  transactionId: tx,
  reason,
});
const release = (tx: string, slots: number[]): EventOf<'ReservationReleased'> => ({
  ...base.ReservationReleased,
  eventId: `release:${tx}`,
  transactionId: tx,
  slotIds: slots.map((n) => `s:${n}`),
});

function check(events: Parameters<ReturnType<typeof createInvariantCheck>['apply']>[0][]) {
  const c = createInvariantCheck();
  events.forEach((e) => c.apply(e));
  return c.tally('s')!;
}

describe('the bench invariant check', () => {
  it('passes a sale that grants its stock once each, refuses the rest, and takes back a lapsed slot', () => {
    const t = check([
      scheduled(2, 1),
      grant('t1', 'a', [1]),
      grant('t2', 'b', [2]),
      reject('t3', 'sold_out'),
      release('t1', [1]),
      grant('t4', 'c', [1]),
      grant('t2', 'b', [2]), // the same decision again (same eventId): a redelivery, not a second grant
    ]);
    expect(t.violations).toEqual([]);
    expect(t).toMatchObject({ granted: 3, released: 1, peakHeld: 2, rejected: { sold_out: 1 } });
  });

  it('catches more units held than the stock, and a slot granted twice', () => {
    const t = check([scheduled(1, 5), grant('t1', 'a', [1]), grant('t2', 'b', [1])]);
    expect(t.violations.join('\n')).toMatch(/slot s:1 granted to t2 while t1 holds it/);
    expect(t.violations.join('\n')).toMatch(/2 units held, stock is 1/);
  });

  it('catches a slot outside the stock and a user over the limit', () => {
    const t = check([scheduled(3, 1), grant('t1', 'a', [1]), grant('t2', 'a', [4])]);
    expect(t.violations.join('\n')).toMatch(/slot s:4 is outside 1..3/);
    expect(t.violations.join('\n')).toMatch(/user a holds 2, limit is 1/);
  });

  it('catches a transaction decided twice with different decisions', () => {
    const t = check([scheduled(3, 1), grant('t1', 'a', [1]), { ...reject('t1', 'duplicate'), eventId: 'other-id' }]);
    expect(t.violations.join('\n')).toMatch(/t1 decided twice/);
  });
});
