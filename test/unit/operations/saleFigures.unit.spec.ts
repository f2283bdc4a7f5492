// The dashboard's live figures: rates per whole second over the window, p99 of the claims
// whose decision came, mismatches kept in order and bounded; the same events give the same
// figures whatever they are read at.
import { describe, expect, it } from 'vitest';
import { createSaleFigures, MISMATCHES_KEPT, p99, RATE_WINDOW_MS } from '../../../projections/saleDashboard/figures.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const T0 = Date.UTC(2026, 11, 2, 12);
const events = sampleEvents('sale-f');
const claim = (i: number, at: number) => ({ ...events.ClaimRequested, transactionId: `tx-${i}`, occurredAt: at });
const granted = (i: number, at: number) => ({ ...events.ClaimGranted, transactionId: `tx-${i}`, occurredAt: at });
const rejected = (i: number, at: number) => ({ ...events.ClaimRejected, transactionId: `tx-${i}`, occurredAt: at });

describe('the live sale figures', () => {
  it('counts claims and decisions per second over the whole seconds of the window', () => {
    const figures = createSaleFigures();
    // 10 claims a second for 5 seconds, each decided 20 ms later.
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 10; i++) {
        const n = s * 10 + i;
        figures.apply(claim(n, T0 + s * 1000 + i * 50));
        figures.apply(n % 2 ? rejected(n, T0 + s * 1000 + i * 50 + 20) : granted(n, T0 + s * 1000 + i * 50 + 20));
      }
    }
    const [sale] = figures.snapshot(T0 + RATE_WINDOW_MS + 1000).sales;
    expect(sale).toMatchObject({ saleId: 'sale-f', claimsPerSecond: 10, decisionsPerSecond: 10, granted: 25, rejected: 25 });
    expect(sale?.claimToDecisionMsP99).toBe(20);
    // Later, the window is empty: the rates fall to 0, the totals stay.
    expect(figures.snapshot(T0 + 60_000).sales[0]).toMatchObject({
      claimsPerSecond: 0,
      decisionsPerSecond: 0,
      granted: 25,
      claimToDecisionMsP99: null,
    });
  });

  it('measures claim to decision only for claims it saw, and takes the nearest-rank p99', () => {
    const figures = createSaleFigures();
    figures.apply(granted(1, T0)); // its claim came before the dashboard watched
    expect(figures.snapshot(T0 + 1).sales[0]?.claimToDecisionMsP99).toBeNull();
    expect(p99(Array.from({ length: 100 }, (_, i) => i + 1))).toBe(99);
    expect(p99([5])).toBe(5);
    expect(p99([])).toBeNull();
  });

  it('keeps the latest mismatches, in order, up to its bound', () => {
    const figures = createSaleFigures();
    for (let i = 0; i < MISMATCHES_KEPT + 5; i++) figures.apply({ ...events.MismatchFlagged, eventId: `m-${i}`, occurredAt: T0 + i });
    const { mismatches } = figures.snapshot(T0);
    expect(mismatches).toHaveLength(MISMATCHES_KEPT);
    expect(mismatches[0]?.mismatchId).toBe('m-5');
    expect(mismatches.at(-1)).toMatchObject({ mismatchId: `m-${MISMATCHES_KEPT + 4}`, kind: events.MismatchFlagged.kind });
  });
});
