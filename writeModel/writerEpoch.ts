// How a writer (decision-maker, expiry, settlement) keeps its last writes through a flush.
//
// A writer changes Redis first and publishes the events after. If Redis is flushed in that
// gap, the rebuild may capture the topics' ends before those events land, and the rebuilt
// state would lack them: the next claim could be handed a slot already granted. So each
// rebuild gets a new epoch id; every writer script names the epoch its writer last saw and is
// refused under another. On that refusal the writer first folds its own last batch (already
// on Kafka by then) into the new state, idempotently, and only then takes the new epoch.
// Nothing is written between a flush and a completed rebuild, so the last batch is all that
// can be missing.
import { NotReadyError } from '../platform/errors.js';
import type { StoreEvent } from './encoding.js';
import type { Gated, InventoryScripts } from './inventoryScripts.js';

export type WriterEpoch = {
  /** Runs a gated script until it is accepted; throws NotReadyError while the store stays incomplete past waitMs. */
  run<T>(attempt: (epoch: string) => Promise<Gated<T>>): Promise<T>;
  /** The events of the batch just published: re-folded if the store turns out rebuilt without them. */
  remember(events: readonly StoreEvent[]): void;
};

export function createWriterEpoch({
  scripts,
  waitUntilReady,
  waitMs = 2_000,
}: {
  scripts: InventoryScripts;
  waitUntilReady: (timeoutMs: number) => Promise<boolean>;
  waitMs?: number;
}): WriterEpoch {
  let epoch = '';
  let recent: readonly StoreEvent[] = [];
  return {
    async run(attempt) {
      for (;;) {
        const result = await attempt(epoch);
        if (result.kind === 'ok') return result.value;
        if (result.kind === 'epoch') {
          if (
            recent.length > 0 &&
            (await scripts.apply(
              { mode: 'direct' },
              recent.map((event) => ({ event })),
            )) !== 'ok'
          )
            continue;
          epoch = result.epoch;
          continue;
        }
        if (!(await waitUntilReady(waitMs))) throw new NotReadyError('the flash-sale store is being rebuilt from the topics');
      }
    },
    remember(events) {
      recent = events;
    },
  };
}
