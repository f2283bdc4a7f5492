// How a writer (decision-maker, expiry, settlement) keeps its last writes through a flush.
//
// A writer changes Redis first and publishes the events after. If Redis is flushed in that
// gap, the rebuild may capture the topics' ends before those events land, and the rebuilt
// state would lack them: the next claim could be handed a slot already granted. So each
// rebuild gets a new epoch id; every writer script names the epoch its writer last saw and is
// refused under another. On that refusal the writer first folds its own recent events into
// the new state, idempotently, and only then takes the new epoch. Nothing is written between
// a flush and a completed rebuild, so what the writer remembers is all that can be missing:
// its last published batch (on Kafka, perhaps not yet read by the rebuild) and whatever it
// has written since (unconfirmed: in Redis, perhaps on Kafka, perhaps not yet).
// Every writer follows the same protocol: run the script, `written(events)`, publish,
// `published(events)`. A publish that fails leaves its events unconfirmed; they stay
// remembered until a later batch is published. What a writer wrote that is not on the topics
// the rebuild reads (a claim's hand-on: lua/fold.ts applyHandOn) is remembered for a while
// instead (`remember`), and folded again after every rebuild meanwhile.
import { NotReadyError } from '../platform/errors.js';
import type { StoreEvent } from './encoding.js';
import type { Gated, InventoryScripts } from './inventoryScripts.js';

export type WriterEpoch<E extends StoreEvent> = {
  /** Runs a gated script until it is accepted; throws NotReadyError while the store stays incomplete past waitMs. */
  run<T>(attempt: (epoch: string) => Promise<Gated<T>>): Promise<T>;
  /** Events just written to Redis, about to be published: remembered from now on. */
  written(events: readonly E[]): void;
  /** The batch is acknowledged by Kafka: it becomes the last published batch (an empty one keeps the previous), and nothing is unconfirmed. */
  published(events: readonly E[]): void;
  /** Written but not known to be on Kafka (their publish failed): what a writer with an outbox publishes first. */
  unconfirmed(): E[];
  /** Events just written that no rebuild will find on the topics: folded again after each rebuild for `forMs`. */
  remember(events: readonly E[], forMs: number): void;
};

/** At most this many remembered events (the oldest go first): a hand-on is rare, and each costs a fold after a rebuild. */
const MAX_REMEMBERED = 10_000;

/** Events kept for a while each, by eventId, oldest first. */
function timedMemory<E extends StoreEvent>() {
  const kept = new Map<string, { event: E; until: number }>();
  return {
    add(events: readonly E[], forMs: number): void {
      const until = Date.now() + forMs;
      for (const event of events) {
        kept.delete(event.eventId);
        kept.set(event.eventId, { event, until });
      }
      for (const id of kept.keys()) {
        if (kept.size <= MAX_REMEMBERED) break;
        kept.delete(id);
      }
    },
    current(): E[] {
      const now = Date.now();
      for (const [id, r] of kept) if (r.until <= now) kept.delete(id);
      return [...kept.values()].map((r) => r.event);
    },
  };
}

export function createWriterEpoch<E extends StoreEvent>({
  scripts,
  waitUntilReady,
  waitMs = 2_000,
}: {
  scripts: InventoryScripts;
  waitUntilReady: (timeoutMs: number) => Promise<boolean>;
  waitMs?: number;
}): WriterEpoch<E> {
  let epoch = '';
  let lastPublished: readonly E[] = [];
  const unconfirmed = new Map<string, E>();
  /** What is re-folded into a store rebuilt without it. */
  let recent: readonly E[] = [];
  const remembered = timedMemory<E>();
  return {
    async run(attempt) {
      for (;;) {
        const result = await attempt(epoch);
        if (result.kind === 'ok') return result.value;
        if (result.kind === 'epoch') {
          const missing = [...remembered.current(), ...recent];
          if (
            missing.length > 0 &&
            (await scripts.apply(
              { mode: 'direct' },
              missing.map((event) => ({ event })),
            )) !== 'ok'
          )
            continue;
          epoch = result.epoch;
          continue;
        }
        if (!(await waitUntilReady(waitMs))) throw new NotReadyError('the flash-sale store is being rebuilt from the topics');
      }
    },
    written(events) {
      for (const event of events) unconfirmed.set(event.eventId, event);
      recent = [...lastPublished, ...unconfirmed.values()];
    },
    published(events) {
      if (events.length > 0) lastPublished = events;
      unconfirmed.clear();
      recent = lastPublished;
    },
    unconfirmed: () => [...unconfirmed.values()],
    remember: (events, forMs) => remembered.add(events, forMs),
  };
}
