// Properties of the join over generated sales with planted faults: it finds exactly what was
// planted, and the same events give the same mismatches however they are ordered, batched,
// delayed or redelivered.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Mismatch } from '../../../domain/reconciliation/mismatch.js';
import { advanceWatermark, type ReconcileOptions, reconcile } from '../../../domain/reconciliation/reconcile.js';
import { initialState, type ReconciliationState } from '../../../domain/reconciliation/state.js';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { generateScenario, type Scenario } from '../../support/reconciliationScenario.js';

const T0 = Date.UTC(2026, 10, 25, 12);
const GRACE = 30_000;
const opts: ReconcileOptions = { graceMs: GRACE };
/** Longer than any generated sale: no grace period runs out before the stream has ended. */
const longGrace: ReconcileOptions = { graceMs: 86_400_000 };

const scenarioArb = fc
  .record({ seed: fc.integer(), transactions: fc.integer({ min: 40, max: 90 }), faultsPerKind: fc.integer({ min: 1, max: 3 }) })
  .map((o) => generateScenario({ ...o, startAt: T0, stepMs: 2_000 }));

const everything = (s: Scenario): FlashsaleEvent[] => [...s.ours, ...s.partner].sort((a, b) => a.occurredAt - b.occurredAt);

/** Applies events in batches of the given sizes (cycled), then lets the clock run past every grace period. */
function run(events: readonly FlashsaleEvent[], batchSizes: readonly number[] = [events.length], end = Infinity, o = opts) {
  let state: ReconciliationState = initialState;
  const flagged: Mismatch[] = [];
  for (let i = 0, b = 0; i < events.length; b++) {
    const size = Math.max(1, batchSizes[b % batchSizes.length]!);
    const out = reconcile(state, events.slice(i, i + size), o);
    state = out.state;
    flagged.push(...out.flagged);
    i += size;
  }
  const closing = advanceWatermark(state, end === Infinity ? Number.MAX_SAFE_INTEGER : end, o);
  flagged.push(...closing.flagged);
  return { state: closing.state, flagged };
}

const sorted = (ms: Mismatch[]) => [...ms].sort((a, b) => (a.mismatchId < b.mismatchId ? -1 : 1));
const keys = (ms: { kind: string; transactionId: string; partnerEventId: string | null }[]) =>
  ms.map((m) => `${m.kind} ${m.transactionId} ${m.partnerEventId}`).sort();

describe('reconciliation properties', () => {
  it('finds every planted mismatch and invents none', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { flagged } = run(everything(s));
        expect(keys(flagged)).toEqual(keys(s.planted));
      }),
      { numRuns: 60 },
    );
  });

  it('gives the same mismatches for any order and any batching of the same events', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(everything(s), { minLength: everything(s).length }),
            fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
          ),
        ),
        ([s, shuffled, batches]) => {
          // With a grace period longer than the sale, no deadline passes before everything has
          // arrived, whatever the order: the set of events alone decides.
          const inOrder = run(everything(s), undefined, Infinity, longGrace);
          const anyOrder = run(shuffled, batches, Infinity, longGrace);
          expect(keys(anyOrder.flagged)).toEqual(keys(s.planted));
          expect(sorted(anyOrder.flagged)).toEqual(sorted(inOrder.flagged));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('gives the same mismatches when events arrive late by less than the grace period, with deadlines passing mid-stream', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.array(fc.integer({ min: 0, max: GRACE - 1_000 }), { minLength: everything(s).length, maxLength: everything(s).length }),
            fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
          ),
        ),
        ([s, delays, batches]) => {
          const events = everything(s);
          const delayed = events
            .map((e, i) => ({ e, arrives: e.occurredAt + delays[i]! }))
            .sort((a, b) => a.arrives - b.arrives)
            .map((x) => x.e);
          // The sale spans far more than the grace period, so unknowns are judged mid-stream here.
          expect(s.lastAt - s.sale.startsAt).toBeGreaterThan(4 * GRACE);
          const inOrder = run(events);
          const late = run(delayed, batches);
          expect(sorted(late.flagged)).toEqual(sorted(inOrder.flagged));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('flags nothing new when any part of the stream is delivered again', () => {
    fc.assert(
      fc.property(
        scenarioArb.chain((s) => fc.tuple(fc.constant(s), fc.subarray(everything(s)))),
        ([s, again]) => {
          const first = run(everything(s));
          const replayed = reconcile(first.state, again, opts);
          expect(replayed.flagged).toEqual([]);
          expect(new Set(first.flagged.map((m) => m.mismatchId)).size).toBe(first.flagged.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('judges nothing before the grace period and everything after it', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const held = run(s.partner, [s.partner.length], s.lastAt);
        const unknowns = held.flagged.filter((m) => m.kind === 'unknown_transaction' || m.kind === 'refund_without_payment');
        // Only our grants are missing, so every partner event is a stranger, judged once its grace ran out and not before.
        expect(unknowns.every((m) => m.detectedAt <= s.lastAt)).toBe(true);
        const all = run(s.partner);
        const payments = new Set(s.partner.filter((e) => e.type === 'PartnerPaymentReported').map((e) => e.eventId));
        expect(all.flagged.filter((m) => m.kind === 'unknown_transaction').length).toBe(payments.size);
      }),
      { numRuns: 30 },
    );
  });
});
