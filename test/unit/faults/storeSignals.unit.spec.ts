// A failed subscribe is not remembered: the next waiter subscribes afresh.
import { describe, expect, it } from 'vitest';
import type { Redis } from '../../../platform/redis.js';
import { createStoreSignals } from '../../../writeModel/signals.js';

function flakyRedis(failures: number) {
  let attempts = 0;
  const disconnected: number[] = [];
  const redis = {
    duplicate: () => {
      const n = ++attempts;
      return {
        on: () => undefined,
        subscribe: () => (n <= failures ? Promise.reject(new Error('Connection is closed.')) : Promise.resolve(2)),
        disconnect: () => disconnected.push(n),
      };
    },
  } as unknown as Redis;
  return { redis, attempts: () => attempts, disconnected };
}

describe('store signals', () => {
  it('subscribes afresh after a failed subscribe instead of failing every later waiter', async () => {
    const { redis, attempts, disconnected } = flakyRedis(1);
    const signals = createStoreSignals(redis, 'test');
    await expect(signals.subscribed()).rejects.toThrow(/Connection is closed/);
    await expect(signals.subscribed()).resolves.toBeUndefined();
    await expect(signals.subscribed()).resolves.toBeUndefined();
    expect(attempts()).toBe(2);
    expect(disconnected).toEqual([1]);
  });

  it('shares one subscribe among waiters that arrive together', async () => {
    const { redis, attempts } = flakyRedis(0);
    const signals = createStoreSignals(redis, 'test');
    await Promise.all([signals.subscribed(), signals.subscribed(), signals.subscribed()]);
    expect(attempts()).toBe(1);
  });
});
