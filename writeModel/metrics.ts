// Prometheus counters of the flash-sale store's writers: decisions published (by outcome),
// reservations ended (released or settled), and rebuilds from the topics. Registered once
// per registry, so a role started again in the same process reuses them. And how long a claim
// waited for its decision, from the claim's occurredAt to its decision's publication.
import { Counter, Histogram, type Registry } from 'prom-client';

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export type InventoryMetrics = {
  decisions(outcome: string, n?: number): void;
  ended(how: 'released' | 'settled', n: number): void;
  rebuilt(): void;
};

/** Seconds, around the 50 ms p99 target; a claim that waited out an outage lands in the top buckets. */
const CLAIM_TO_DECISION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createInventoryMetrics(registry: Registry | undefined): InventoryMetrics {
  if (!registry) return { decisions: () => undefined, ended: () => undefined, rebuilt: () => undefined };
  const decisions = counter(
    registry,
    'flashsale_claim_decisions_total',
    'Claim decisions published, by outcome (granted or the rejection reason); a republished decision counts again.',
    ['outcome'],
  );
  const ended = counter(registry, 'flashsale_reservations_ended_total', 'Reservations released (expired) or settled (paid).', ['how']);
  const rebuilds = counter(registry, 'flashsale_inventory_rebuilds_total', 'Rebuilds of the Redis store from the topics.', []);
  return {
    decisions: (outcome, n = 1) => decisions.inc({ outcome }, n),
    ended: (how, n) => ended.inc({ how }, n),
    rebuilt: () => rebuilds.inc(),
  };
}

/** The decision-maker's latency: a claim made at `claimedAt` (epoch ms) got its decision published at `decidedAt`. */
export function createDecisionLatency(registry: Registry | undefined): (claimedAt: number, decidedAt: number) => void {
  if (!registry) return () => undefined;
  const name = 'flashsale_claim_to_decision_seconds';
  const latency =
    (registry.getSingleMetric(name) as Histogram | undefined) ??
    new Histogram({
      name,
      help: "From a claim's occurredAt (the api accepted it) to its decision durably on Kafka; p99 by histogram_quantile.",
      buckets: CLAIM_TO_DECISION_BUCKETS,
      registers: [registry],
    });
  return (claimedAt, decidedAt) => latency.observe(Math.max(0, decidedAt - claimedAt) / 1000);
}
