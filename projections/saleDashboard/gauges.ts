// The api process's view of the whole system, as Prometheus gauges on its operations port:
// every consumer group's lag per partition (as its committed offsets show it), the stock left
// in each recent sale (from Redis) and the records on the dead-letter topic. Read from the
// shared system view, so a scrape costs at most one round of requests per refresh. Each api
// worker (--api-workers) reads the same system: the operations port's sum takes the first
// worker's reading of each (`aggregator: 'first'`), never N times the lag or the stock.
import { Gauge, type Registry } from 'prom-client';
import type { SystemView } from './systemView.js';

export function registerSystemGauges(metrics: Registry, system: SystemView): void {
  const names = ['flashsale_consumer_group_lag', 'flashsale_sale_stock_remaining', 'flashsale_dead_letter_records'];
  // A second api role in one process (tests) reuses the first one's gauges.
  if (names.some((n) => metrics.getSingleMetric(n))) return;
  new Gauge({
    name: 'flashsale_consumer_group_lag',
    help: "Records each consumer group of the system has not yet committed, per topic and partition (the api's view of every role)",
    labelNames: ['group', 'topic', 'partition'],
    registers: [metrics],
    aggregator: 'first',
    async collect() {
      this.reset();
      for (const l of (await system.read()).lags) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
  new Gauge({
    name: 'flashsale_sale_stock_remaining',
    help: 'Free units left in each sale that is open or ended in the last ten minutes, read from the Redis store',
    labelNames: ['sale', 'status'],
    registers: [metrics],
    aggregator: 'first',
    async collect() {
      this.reset();
      for (const s of (await system.read()).sales) this.set({ sale: s.saleId, status: s.status }, s.stockRemaining);
    },
  });
  new Gauge({
    name: 'flashsale_dead_letter_records',
    help: 'Records held on the dead-letter topic (permanent faults a consumer gave up on; see flashsale dlq list)',
    registers: [metrics],
    aggregator: 'first',
    async collect() {
      this.set((await system.read()).deadLetters);
    },
  });
}
