// What a writer folds again into a store rebuilt under a new epoch (writerEpoch.ts): its last
// published batch, what it wrote since, and what it remembers for a while (hand-ons, which no
// rebuild finds on the topics it reads). The store is a stand-in recording the folds: the
// scripts themselves are tested on Redis (test/int/faults/shardsAfterSnapshot.int.spec.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StoreEvent } from '../../../writeModel/encoding.js';
import type { Gated, InventoryScripts } from '../../../writeModel/inventoryScripts.js';
import { createWriterEpoch } from '../../../writeModel/writerEpoch.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const { ClaimGranted: granted, ClaimForwarded: forwarded } = sampleEvents();
const forwardOf = (n: number): StoreEvent => ({ ...forwarded, eventId: `forward:tx-${n}:1`, transactionId: `tx-${n}` });

/** A writer over a store that rebuilt once (epoch 'e2') and records what the writer folds into it. */
function writerOverRebuiltStore() {
  const folded: StoreEvent[][] = [];
  const scripts = {
    apply: async (_mode: unknown, events: { event: StoreEvent }[]) => {
      folded.push(events.map((e) => e.event));
      return 'ok';
    },
  } as unknown as InventoryScripts;
  const writer = createWriterEpoch<StoreEvent>({ scripts, waitUntilReady: async () => true });
  let epoch = 'e1';
  const write = (expected: string): Promise<Gated<string>> =>
    Promise.resolve(expected === epoch ? { kind: 'ok', value: 'written' } : { kind: 'epoch', epoch });
  return {
    writer,
    folded,
    /** The first write under e1, taken; then Redis is restored and rebuilt under `next`. */
    write: () => writer.run(write),
    rebuild(next: string) {
      epoch = next;
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('a writer after a rebuild', () => {
  it('folds again its remembered hand-ons with its last batch, until they are forgotten', async () => {
    vi.useFakeTimers();
    const store = writerOverRebuiltStore();
    await store.write(); // takes epoch e1 (nothing to fold yet)
    store.writer.remember([forwardOf(1)], 60_000);
    store.writer.written([granted]);
    store.writer.published([granted]);
    store.rebuild('e2');
    await store.write();
    expect(store.folded.at(-1)!.map((e) => e.eventId)).toEqual([forwardOf(1).eventId, granted.eventId]);

    vi.advanceTimersByTime(60_001);
    store.rebuild('e3');
    await store.write();
    expect(store.folded.at(-1)!.map((e) => e.eventId)).toEqual([granted.eventId]);
  });

  it('remembers at most 10,000, forgetting the oldest', async () => {
    const store = writerOverRebuiltStore();
    await store.write();
    for (let n = 0; n < 10_001; n += 1) store.writer.remember([forwardOf(n)], 60_000);
    store.rebuild('e2');
    await store.write();
    const ids = store.folded.at(-1)!.map((e) => e.eventId);
    expect(ids).toHaveLength(10_000);
    expect(ids[0]).toBe(forwardOf(1).eventId);
  });
});
