// Prometheus metrics of the claim route: how many claims ended how, and how long the answer took.
import { Counter, Histogram, type Registry } from 'prom-client';

export type ClaimOutcome = 'pending' | 'granted' | 'rejected' | 'refused_at_edge' | 'challenge_failed' | 'error';

export type ClaimMetrics = { observe(outcome: ClaimOutcome, reason: string, seconds: number): void };

export function createClaimMetrics(registry: Registry): ClaimMetrics {
  const counter = new Counter({
    name: 'flashsale_http_claims_total',
    help: 'Claims answered by the HTTP edge, by outcome (and rejection reason).',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'flashsale_http_claim_duration_seconds',
    help: 'Time to answer a claim, by outcome; granted/rejected include any Prefer: wait.',
    labelNames: ['outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    observe(outcome, reason, seconds) {
      counter.inc({ outcome, reason });
      latency.observe({ outcome }, seconds);
    },
  };
}
