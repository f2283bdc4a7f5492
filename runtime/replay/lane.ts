// One projection's lane in a replay: up to `parallel` slices applied at once (1 keeps them in
// order; an order-free projection may take more), a submit that holds the reader only while
// every slot is busy, and the first failure kept for the reader and for drain().
import type { Delivered } from '../../platform/kafka/consumerRunner.js';

export type Lane = {
  /** Starts applying a slice once a slot is free; throws an earlier slice's failure. */
  submit(batch: Delivered[]): Promise<void>;
  /** Waits for every slice started; throws the first failure. */
  drain(): Promise<void>;
};

export function createLane(apply: (batch: Delivered[]) => Promise<void>, parallel: number): Lane {
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  return {
    async submit(batch) {
      while (inFlight.size >= parallel) await Promise.race(inFlight);
      if (failure) throw failure.err;
      const run: Promise<void> = apply(batch)
        .catch((err: unknown) => {
          failure ??= { err };
        })
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
    },
    async drain() {
      await Promise.all(inFlight);
      if (failure) throw failure.err;
    },
  };
}
