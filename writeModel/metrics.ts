// Prometheus counters of the flash-sale store's writers: decisions published (by outcome),
// reservations ended (released or settled), and rebuilds from the topics. Registered once
// per registry, so a role started again in the same process reuses them.
import { Counter, type Registry } from 'prom-client';

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

export type InventoryMetrics = {
  decisions(outcome: string, n?: number): void;
  ended(how: 'released' | 'settled', n: number): void;
  rebuilt(): void;
};

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
