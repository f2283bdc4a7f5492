// A consumer's lag per partition from its own positions: the high watermark its fetches
// bring, refreshed from the broker at most every refresh period, against what it handled or
// (before it handled anything) what its group committed. Only the partitions it is assigned.
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createPartitionPositions } from '../../../platform/kafka/lagGauge.js';

/** A broker stand-in answering the two admin calls the tracker makes, and counting them. */
function fakeKafka(state: { committed: number; high: number; low?: number }) {
  const calls = { fetchOffsets: 0 };
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    fetchOffsets: async () => {
      calls.fetchOffsets += 1;
      return [{ topic: 'claims', partitions: [{ partition: 0, offset: String(state.committed) }] }];
    },
    fetchTopicOffsets: async () => [{ partition: 0, offset: String(state.high), high: String(state.high), low: String(state.low ?? 0) }],
  };
  return { kafka: { admin: () => admin } as unknown as Kafka, calls };
}

describe('consumer lag per partition', () => {
  it('counts from the committed offset until the consumer handles a batch, then from what it handled', async () => {
    let now = 0;
    const { kafka } = fakeKafka({ committed: 40, high: 100 });
    const positions = createPartitionPositions({ kafka, groupId: 'g', topics: ['claims'], refreshMs: 5_000, now: () => now });
    expect(await positions.lags()).toEqual([]); // not assigned anything yet
    positions.assigned({ claims: [0] });
    expect(await positions.lags()).toEqual([{ topic: 'claims', partition: 0, lag: 60 }]);
    positions.handled('claims', 0, 90, 120);
    now += 1_000;
    expect(await positions.lags()).toEqual([{ topic: 'claims', partition: 0, lag: 30 }]);
  });

  it('asks the broker at most once per refresh period, however often it is scraped', async () => {
    let now = 0;
    const state = { committed: -1, high: 10, low: 4 };
    const { kafka, calls } = fakeKafka(state);
    const positions = createPartitionPositions({ kafka, groupId: 'g', topics: ['claims'], refreshMs: 5_000, now: () => now });
    positions.assigned({ claims: [0] });
    // Nothing committed: the group owes everything from the log start.
    expect((await positions.lags())[0]?.lag).toBe(6);
    state.high = 50;
    for (let i = 0; i < 10; i++) await positions.lags();
    expect(calls.fetchOffsets).toBe(1);
    now += 5_000;
    expect((await positions.lags())[0]?.lag).toBe(46);
    expect(calls.fetchOffsets).toBe(2);
  });
});
