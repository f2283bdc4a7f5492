// The settled frontier moves to the latest noted moment whose partition ends the settlement
// group has committed past, in order, and never back.
import { describe, expect, it } from 'vitest';
import { advanceFrontier, type EndsAt } from '../../../consumers/expiry/settledFrontier.js';

const ends = (at: number, p0: number, p1: number): EndsAt => ({
  at,
  ends: new Map([
    ['pe:0', BigInt(p0)],
    ['pe:1', BigInt(p1)],
  ]),
});
const positions = (p0: number, p1: number) =>
  new Map([
    ['pe:0', BigInt(p0)],
    ['pe:1', BigInt(p1)],
  ]);

describe('the settled frontier', () => {
  it('stays where it is while any partition is behind the ends noted', () => {
    expect(advanceFrontier(100, [ends(200, 5, 3)], positions(5, 2))).toEqual({ through: 100, waiting: [ends(200, 5, 3)] });
  });

  it('moves to the latest moment every partition has reached, keeping the later checks', () => {
    const waiting = [ends(200, 5, 3), ends(300, 6, 3), ends(400, 9, 4)];
    expect(advanceFrontier(100, waiting, positions(7, 3))).toEqual({ through: 300, waiting: [ends(400, 9, 4)] });
  });

  it('never passes a check that is not reached, even when a later one would be', () => {
    // Ends only grow, so this cannot happen with one topic; the order is kept all the same.
    const waiting = [ends(200, 5, 3), ends(300, 1, 1)];
    expect(advanceFrontier(100, waiting, positions(4, 3)).through).toBe(100);
  });

  it('counts a partition with no position as at offset 0 (empty partitions pass)', () => {
    expect(advanceFrontier(0, [ends(50, 0, 0)], new Map()).through).toBe(50);
    expect(advanceFrontier(0, [ends(50, 1, 0)], new Map()).through).toBe(0);
  });
});
