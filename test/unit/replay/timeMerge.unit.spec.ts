// A replay feeds its folds in event-time order across partitions, however unevenly the
// broker serves them, and holds back only what a slower partition could still precede.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Delivered } from '../../../platform/kafka/consumerRunner.js';
import { createTimeMerge } from '../../../runtime/replay/timeMerge.js';
import { sampleEvents } from '../../support/sampleEvents.js';

const event = sampleEvents().EntryRecorded;
const at = (topic: string, partition: number, offset: number, timestamp: number): Delivered => ({
  event,
  position: { topic, partition, offset: String(offset) },
  timestamp,
});

describe('the time merge of a replay', () => {
  it('holds events back until every partition still being read has reached their time', () => {
    const merge = createTimeMerge([
      { topic: 'pay', partition: 0, start: 0, end: 3 },
      { topic: 'sales', partition: 0, start: 0, end: 2 },
    ]);
    // The partner's topic is served first, far ahead of the sales topic.
    expect(merge.push([at('pay', 0, 0, 10), at('pay', 0, 1, 30)], { topic: 'pay', partition: 0, reachedTime: 30, done: false })).toEqual(
      [],
    );
    const released = merge.push([at('sales', 0, 0, 20)], { topic: 'sales', partition: 0, reachedTime: 20, done: false });
    expect(released.map((d) => d.timestamp)).toEqual([10, 20]);
    const rest = [
      ...merge.push([at('pay', 0, 2, 50)], { topic: 'pay', partition: 0, reachedTime: 50, done: true }),
      ...merge.push([at('sales', 0, 1, 40)], { topic: 'sales', partition: 0, reachedTime: 40, done: true }),
    ];
    expect(rest.map((d) => d.timestamp)).toEqual([30, 40, 50]);
  });

  it('releases every event exactly once, in time order, however the partitions are interleaved', () => {
    const partition = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 20 }).map((ts) => ts.sort((a, b) => a - b));
    fc.assert(
      fc.property(fc.array(partition, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 200 }), (partitions, schedule) => {
        const logs = partitions.map((ts, p) => ts.map((t, o) => at('t', p, o, t)));
        const merge = createTimeMerge(logs.map((l, p) => ({ topic: 't', partition: p, start: 0, end: l.length })));
        const cursor = logs.map(() => 0);
        const out: Delivered[] = [];
        const step = (p: number) => {
          const log = logs[p]!;
          const take = log.slice(cursor[p], cursor[p]! + 3);
          cursor[p] = cursor[p]! + take.length;
          out.push(...merge.push(take, { topic: 't', partition: p, reachedTime: take.at(-1)!.timestamp, done: cursor[p] === log.length }));
        };
        for (const s of schedule) {
          const open = logs.map((_, p) => p).filter((p) => cursor[p]! < logs[p]!.length);
          if (open.length) step(open[s % open.length]!);
        }
        for (let p = 0; p < logs.length; p++) while (cursor[p]! < logs[p]!.length) step(p);
        expect(out).toHaveLength(logs.flat().length);
        expect(out.map((d) => d.timestamp)).toEqual([...out.map((d) => d.timestamp)].sort((a, b) => a - b));
      }),
    );
  });
});
