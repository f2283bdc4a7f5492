// Merges per-partition batches into one stream in event-time order. A live system sees its
// topics interleaved roughly as the events happened; a replay reads whole partitions at
// whatever pace the broker serves them, so one topic can run far ahead of another. Folds
// that judge by event time (reconciliation's grace periods) must see them in time order, as
// live did: an event is released only once every partition still being read has reached its
// time, which keeps memory to the skew between partitions, not the whole history.
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import type { PartitionProgress, TopicRange } from '../../platform/kafka/topicReader.js';

const key = (topic: string, partition: number) => `${topic}:${partition}`;

function byTime(a: Delivered, b: Delivered): number {
  return (
    a.timestamp - b.timestamp ||
    a.position.topic.localeCompare(b.position.topic) ||
    a.position.partition - b.position.partition ||
    Number(a.position.offset) - Number(b.position.offset)
  );
}

export function createTimeMerge(ranges: readonly TopicRange[]) {
  /** The latest time each unfinished partition has reached; a finished one drops out. */
  const reached = new Map(ranges.map((r) => [key(r.topic, r.partition), Number.NEGATIVE_INFINITY]));
  let buffered: Delivered[] = [];

  function release(): Delivered[] {
    const frontier = reached.size === 0 ? Number.POSITIVE_INFINITY : Math.min(...reached.values());
    buffered.sort(byTime);
    const cut = buffered.findIndex((d) => d.timestamp > frontier);
    const ready = cut < 0 ? buffered : buffered.slice(0, cut);
    buffered = cut < 0 ? [] : buffered.slice(cut);
    return ready;
  }

  return {
    /** Takes one partition's batch; returns what is now safe to apply, in time order. */
    push(batch: readonly Delivered[], read: PartitionProgress): Delivered[] {
      const id = key(read.topic, read.partition);
      buffered.push(...batch);
      if (read.done) reached.delete(id);
      else reached.set(id, Math.max(reached.get(id) ?? Number.NEGATIVE_INFINITY, read.reachedTime));
      return release();
    },
  };
}
