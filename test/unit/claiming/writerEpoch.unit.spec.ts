// The writer epoch with an attempt sent ahead: taken up as the first attempt, and when the
// store was rebuilt meanwhile, handled like any refusal (own last writes folded back in, then
// retried under the new epoch).
import { describe, expect, it } from 'vitest';
import type { StoreEvent } from '../../../projections/inventory/encoding.js';
import type { Gated, InventoryScripts } from '../../../projections/inventory/inventoryScripts.js';
import { createWriterEpoch } from '../../../projections/inventory/writerEpoch.js';

function fakeScripts() {
  const folded: StoreEvent[][] = [];
  const scripts = {
    apply: (_mode: unknown, batch: { event: StoreEvent }[]) => {
      folded.push(batch.map((b) => b.event));
      return Promise.resolve('ok');
    },
  } as unknown as InventoryScripts;
  return { scripts, folded };
}
const ready = () => Promise.resolve(true);
const decision = { type: 'ClaimGranted', transactionId: 'tx-1' } as unknown as StoreEvent;

describe('a writer epoch with an attempt sent ahead', () => {
  it('takes the early attempt as its first, without sending another', async () => {
    const { scripts } = fakeScripts();
    const writer = createWriterEpoch({ scripts, waitUntilReady: ready });
    const epochs: string[] = [];
    const attempt = (epoch: string): Promise<Gated<string>> => (
      epochs.push(epoch),
      Promise.resolve({ kind: 'ok', value: `done under '${epoch}'` })
    );
    const early = writer.start(attempt);
    expect(await writer.run(attempt, early)).toBe("done under ''");
    expect(epochs).toEqual(['']);
  });

  it('answers an early attempt refused for a rebuild by folding its last writes back, then retrying under the new epoch', async () => {
    const { scripts, folded } = fakeScripts();
    const writer = createWriterEpoch({ scripts, waitUntilReady: ready });
    const epochs: string[] = [];
    const attempt = (epoch: string): Promise<Gated<string>> => {
      epochs.push(epoch);
      return Promise.resolve(epoch === 'rebuilt' ? { kind: 'ok', value: 'decided' } : { kind: 'epoch', epoch: 'rebuilt' });
    };
    const early = writer.start(attempt);
    // What the writer handled between sending the attempt and taking it up.
    writer.remember([decision]);
    expect(await writer.run(attempt, early)).toBe('decided');
    expect(folded).toEqual([[decision]]);
    expect(epochs).toEqual(['', 'rebuilt']);
  });
});
