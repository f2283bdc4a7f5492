import { describe, expect, it } from 'vitest';
import type { Delivered } from '../../../platform/kafka/consumerRunner.js';
import { createLane } from '../../../runtime/replay/lane.js';

const slice = (n: number) => [{ position: { offset: String(n) } }] as unknown as Delivered[];
const tick = () => new Promise((r) => setTimeout(r, 1));

describe('a replay lane', () => {
  it('applies slices one after the other, in order, when it is not order-free', async () => {
    const log: string[] = [];
    let running = 0;
    const lane = createLane(async (b) => {
      running++;
      expect(running).toBe(1);
      log.push(`start ${b[0]!.position.offset}`);
      await tick();
      log.push(`end ${b[0]!.position.offset}`);
      running--;
    }, 1);
    for (let i = 0; i < 4; i++) await lane.submit(slice(i));
    await lane.drain();
    expect(log).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('keeps at most `parallel` slices in flight', async () => {
    let running = 0;
    let most = 0;
    const lane = createLane(async () => {
      most = Math.max(most, ++running);
      await tick();
      running--;
    }, 2);
    for (let i = 0; i < 10; i++) await lane.submit(slice(i));
    await lane.drain();
    expect(most).toBe(2);
  });

  it('surfaces a failed slice to the next submit and to drain, and starts nothing after it', async () => {
    const applied: string[] = [];
    const lane = createLane(async (b) => {
      await tick();
      if (b[0]!.position.offset === '1') throw new Error('slice 1 failed');
      applied.push(b[0]!.position.offset);
    }, 1);
    await lane.submit(slice(0));
    await lane.submit(slice(1));
    await expect(lane.submit(slice(2))).rejects.toThrow('slice 1 failed');
    await expect(lane.drain()).rejects.toThrow('slice 1 failed');
    expect(applied).toEqual(['0']);
  });
});
