// Merges per-partition batches into one stream in event-time order. A live system sees its
// topics interleaved roughly as the events happened; a replay reads whole partitions at
// whatever pace the broker serves them, so one topic can run far ahead of another. Folds
// that judge by event time (reconciliation's grace periods) must see them in time order, as
// live did: an event is released only once every partition still being read has reached its
// time, which keeps memory to the skew between partitions, not the whole history.
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import type { PartitionProgress, TopicRange } from '../../platform/kafka/topicReader.js';

const key = (topic: string, partition: number) => `${topic}:${partition}`;

// Ties broken by topic (code-unit order: the same on every machine, unlike localeCompare,
// and a tenth of its cost), partition and offset.
function byTime(a: Delivered, b: Delivered): number {
  return (
    a.timestamp - b.timestamp ||
    (a.position.topic < b.position.topic ? -1 : a.position.topic > b.position.topic ? 1 : 0) ||
    a.position.partition - b.position.partition ||
    Number(a.position.offset) - Number(b.position.offset)
  );
}

/** Two arrays already in time order, as one. */
function mergeSorted(a: readonly Delivered[], b: readonly Delivered[]): Delivered[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out: Delivered[] = new Array<Delivered>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = byTime(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

export function createTimeMerge(ranges: readonly TopicRange[]) {
  /** The latest time each unfinished partition has reached; a finished one drops out. */
  const reached = new Map(ranges.map((r) => [key(r.topic, r.partition), Number.NEGATIVE_INFINITY]));
  /** Held back, always in time order: each batch is sorted alone and merged in, never the whole buffer again. */
  let buffered: Delivered[] = [];

  function release(): Delivered[] {
    const frontier = reached.size === 0 ? Number.POSITIVE_INFINITY : Math.min(...reached.values());
    let cut = 0;
    while (cut < buffered.length && buffered[cut]!.timestamp <= frontier) cut++;
    const ready = buffered.slice(0, cut);
    buffered = buffered.slice(cut);
    return ready;
  }

  return {
    /** Takes one partition's batch; returns what is now safe to apply, in time order. */
    push(batch: readonly Delivered[], read: PartitionProgress): Delivered[] {
      const id = key(read.topic, read.partition);
      buffered = mergeSorted(buffered, [...batch].sort(byTime));
      if (read.done) reached.delete(id);
      else reached.set(id, Math.max(reached.get(id) ?? Number.NEGATIVE_INFINITY, read.reachedTime));
      return release();
    },
  };
}
