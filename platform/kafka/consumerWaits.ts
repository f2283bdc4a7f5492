// Which consumers of this process are waiting out a transient fault (a part they depend on is
// down or refusing writes), per partition, and since when: the consumer runner records it,
// /readyz reports it, and two metrics count it. One record per metrics registry, i.e. per
// process (a test process with several platforms keeps them apart).
import { Counter, Gauge, type Registry } from 'prom-client';

export type ConsumerWait = { consumer: string; partition: string; reason: string; since: number };

export type ConsumerWaits = {
  /** A transient fault stopped `consumer` on `partition` (again): counted, and the partition marked waiting. */
  faulted(consumer: string, partition: string, reason: string): ConsumerWait;
  /** The partition moved on (or is no longer ours). */
  resumed(consumer: string, partition: string): ConsumerWait | undefined;
  /** What waits now, oldest first. */
  list(): ConsumerWait[];
  /** A consumer started: its gauge and counter show 0 from now on, not only after a first fault. */
  watching(consumer: string): void;
};

const byRegistry = new WeakMap<Registry, ConsumerWaits>();

function metricOf<T>(metrics: Registry, name: string, make: () => T): T {
  return (metrics.getSingleMetric(name) as T | undefined) ?? make();
}

function createConsumerWaits(metrics?: Registry): ConsumerWaits {
  const registers = metrics ? [metrics] : [];
  const make = {
    faults: () =>
      new Counter({
        name: 'flashsale_consumer_transient_faults_total',
        help: 'Times a consumer met a transient fault (a dependency down or refusing writes) and paused its partition to wait it out',
        labelNames: ['consumer'],
        registers,
      }),
    waiting: () =>
      new Gauge({
        name: 'flashsale_consumer_waiting',
        help: '1 while a consumer has a partition paused waiting out a transient fault, else 0',
        labelNames: ['consumer'],
        registers,
      }),
  };
  const faults = metrics ? metricOf(metrics, 'flashsale_consumer_transient_faults_total', make.faults) : make.faults();
  const waitingGauge = metrics ? metricOf(metrics, 'flashsale_consumer_waiting', make.waiting) : make.waiting();
  const waits = new Map<string, ConsumerWait>();
  const keyOf = (consumer: string, partition: string) => `${consumer}\u0000${partition}`;
  const refresh = (consumer: string) => waitingGauge.set({ consumer }, [...waits.values()].some((w) => w.consumer === consumer) ? 1 : 0);

  return {
    faulted(consumer, partition, reason) {
      faults.inc({ consumer });
      const key = keyOf(consumer, partition);
      const wait = { consumer, partition, reason, since: waits.get(key)?.since ?? Date.now() };
      waits.set(key, wait);
      refresh(consumer);
      return wait;
    },
    resumed(consumer, partition) {
      const key = keyOf(consumer, partition);
      const wait = waits.get(key);
      if (wait) {
        waits.delete(key);
        refresh(consumer);
      }
      return wait;
    },
    list: () => [...waits.values()].sort((a, b) => a.since - b.since),
    watching(consumer) {
      faults.inc({ consumer }, 0);
      refresh(consumer);
    },
  };
}

/** The process's record of waiting consumers, kept beside its metrics; without a registry, one of the runner's own. */
export function consumerWaitsOf(metrics?: Registry): ConsumerWaits {
  if (!metrics) return createConsumerWaits();
  let waits = byRegistry.get(metrics);
  if (!waits) {
    waits = createConsumerWaits(metrics);
    byRegistry.set(metrics, waits);
  }
  return waits;
}
