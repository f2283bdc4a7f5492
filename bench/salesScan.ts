// Reads a deployment's `sales` topic once, start to end: feeds the invariant check and notes
// when each transaction was decided (the decision event's occurredAt, set by the
// decision-maker as it decides; the same machine's clock as the load generator's).
import type { Kafka } from 'kafkajs';
import { readTopicRange } from '../platform/kafka/topicReader.js';
import type { EventCodec } from '../platform/registry/codec.js';
import { createInvariantCheck, type InvariantCheck } from './invariants.js';

export type SalesScan = {
  check: InvariantCheck;
  /** saleId -> transactionId -> when it was decided (epoch ms). */
  decidedAt: Map<string, Map<string, number>>;
  events: number;
};

export async function scanSales({
  kafka,
  codec,
  topicPrefix,
}: {
  kafka: Kafka;
  codec: EventCodec;
  topicPrefix: string;
}): Promise<SalesScan> {
  const check = createInvariantCheck();
  const decidedAt = new Map<string, Map<string, number>>();
  const { events } = await readTopicRange({
    kafka,
    codec,
    topicPrefix,
    topics: ['sales'],
    onBatch: (batch) => {
      for (const { event } of batch) {
        check.apply(event);
        if (event.type !== 'ClaimGranted' && event.type !== 'ClaimRejected') continue;
        let sale = decidedAt.get(event.saleId);
        if (!sale) decidedAt.set(event.saleId, (sale = new Map<string, number>()));
        if (!sale.has(event.transactionId)) sale.set(event.transactionId, event.occurredAt);
      }
    },
  });
  return { check, decidedAt, events };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export type DecisionLatency = { samples: number; undecided: number; p50: number; p90: number; p99: number; max: number };

/** Claim-to-decision latency: from the load generator's send time to the decision's time. */
export function decisionLatency(sentAt: Record<string, number>, decided: ReadonlyMap<string, number> | undefined): DecisionLatency {
  const ms: number[] = [];
  let undecided = 0;
  for (const [tx, sent] of Object.entries(sentAt)) {
    const at = decided?.get(tx);
    if (at === undefined) undecided++;
    else ms.push(at - sent);
  }
  ms.sort((a, b) => a - b);
  return {
    samples: ms.length,
    undecided,
    p50: percentile(ms, 50),
    p90: percentile(ms, 90),
    p99: percentile(ms, 99),
    max: ms.at(-1) ?? Number.NaN,
  };
}
