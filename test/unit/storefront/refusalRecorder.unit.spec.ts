// The edge's refusal recorder: batches in the background, bounded (drops the oldest, counted),
// retries a failed batch, and flushes what is left on close.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { FlashsaleEvent } from '../../../schemas/events/index.js';
import { createRefusalRecorder, type Refusal } from '../../../producers/http/storefront/refusalRecorder.js';

const log = pino({ level: 'silent' });

const refusal = (n: number): Refusal => ({
  type: 'ClaimRejected',
  eventId: `decision:tx-${n}`,
  occurredAt: n,
  correlationId: `tx-${n}`,
  causationId: null,
  transactionId: `tx-${n}`,
  saleId: 's',
  userId: `u-${n}`,
  quantity: 1,
  reason: 'sold_out',
  decidedBy: 'edge',
});

function publisher({ failures = 0 } = {}) {
  const published: FlashsaleEvent[][] = [];
  let left = failures;
  return {
    published,
    publish: async (events: readonly FlashsaleEvent[]) => {
      if (left-- > 0) throw new Error('broker away');
      published.push([...events]);
    },
    disconnect: async () => undefined,
  };
}

async function metric(registry: Registry, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return Number(m?.values[0]?.value ?? 0);
}

describe('the refusal recorder', () => {
  it('publishes every refusal, in order, by close, each under the id of the request refused', async () => {
    const p = publisher();
    const requestIds: (string | undefined)[] = [];
    const recorder = createRefusalRecorder({
      publisher: { ...p, publish: (events, options) => (requestIds.push(options?.requestId), p.publish(events)) },
      log,
      maxBatch: 4,
      flushIntervalMs: 5,
    });
    for (let n = 0; n < 10; n++) recorder.record(refusal(n), `req-${n}`);
    await recorder.close();
    expect(requestIds).toEqual(Array.from({ length: 10 }, (_, n) => `req-${n}`));
    expect(p.published.flat().map((e) => (e as Refusal).transactionId)).toEqual(Array.from({ length: 10 }, (_, n) => `tx-${n}`));
  });

  it('keeps at most maxQueued, dropping the oldest and counting them, without ever throwing', async () => {
    const registry = new Registry();
    const p = publisher({ failures: 1_000 });
    const recorder = createRefusalRecorder({ publisher: p, log, metrics: registry, maxQueued: 5, flushIntervalMs: 1_000_000 });
    for (let n = 0; n < 12; n++) expect(() => recorder.record(refusal(n))).not.toThrow();
    expect(await metric(registry, 'flashsale_edge_refusals_dropped_total')).toBe(7);
    expect(await metric(registry, 'flashsale_edge_refusals_queued')).toBe(5);
    await recorder.close(50);
    // Kafka never took them: counted as dropped at shutdown too.
    expect(await metric(registry, 'flashsale_edge_refusals_dropped_total')).toBe(12);
  });

  it('retries a batch Kafka refused, and records it once it is back', async () => {
    const registry = new Registry();
    const p = publisher({ failures: 2 });
    const recorder = createRefusalRecorder({ publisher: p, log, metrics: registry, flushIntervalMs: 5, retryDelayMs: 10 });
    for (let n = 0; n < 3; n++) recorder.record(refusal(n));
    await recorder.close(2_000);
    expect(p.published.flat()).toHaveLength(3);
    expect(await metric(registry, 'flashsale_edge_refusals_recorded_total')).toBe(3);
    expect(await metric(registry, 'flashsale_edge_refusals_dropped_total')).toBe(0);
  });
});
