// The Redis claim that records each partner event once across API processes.
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../platform/config.js';
import { createRedis, keyPrefix } from '../../../platform/redis.js';
import { createWebhookDedupe, RecordingBusyError } from '../../../producers/partners/webhookDedupe.js';
import { freshPrefix } from '../../support/realStack.js';
import { waitFor } from '../../support/waitFor.js';

const redis = createRedis(loadConfig().redisUrl);
const prefix = keyPrefix(freshPrefix('dedupe'));
afterAll(() => redis.disconnect());

/** Waits until the first copy holds its in-flight claim. */
const claimed = (id: string) =>
  waitFor(async () => (await redis.get(`${prefix}webhook:${id}`))?.startsWith('inflight:'), { what: 'the first claim' });

function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('webhook dedupe', () => {
  it('records the first copy and answers later copies as duplicates', async () => {
    const dedupe = createWebhookDedupe({ redis, keyPrefix: prefix });
    const id = `demo-pay:${crypto.randomUUID()}`;
    let records = 0;
    const record = async () => void records++;
    expect(await dedupe.once(id, record)).toBe('recorded');
    expect(await dedupe.once(id, record)).toBe('duplicate');
    expect(records).toBe(1);
    expect(await redis.get(`${prefix}webhook:${id}`)).toBe('recorded');
  });

  it('makes a concurrent copy wait for the first and answer duplicate once it is recorded', async () => {
    const [a, b] = [createWebhookDedupe({ redis, keyPrefix: prefix }), createWebhookDedupe({ redis, keyPrefix: prefix })];
    const id = `demo-pay:${crypto.randomUUID()}`;
    const first = deferred();
    const firstOutcome = a.once(id, () => first.promise);
    await claimed(id);
    let secondRecorded = false;
    const secondOutcome = b.once(id, async () => void (secondRecorded = true));
    first.resolve();
    expect(await Promise.all([firstOutcome, secondOutcome])).toEqual(['recorded', 'duplicate']);
    expect(secondRecorded).toBe(false);
  });

  it('lets a waiting copy record when the first copy failed', async () => {
    const dedupe = createWebhookDedupe({ redis, keyPrefix: prefix });
    const id = `demo-pay:${crypto.randomUUID()}`;
    const first = deferred();
    const firstOutcome = dedupe.once(id, () => first.promise);
    await claimed(id);
    let secondRecorded = false;
    const secondOutcome = dedupe.once(id, async () => void (secondRecorded = true));
    first.reject(new Error('Kafka did not acknowledge'));
    await expect(firstOutcome).rejects.toThrow('Kafka did not acknowledge');
    expect(await secondOutcome).toBe('recorded');
    expect(secondRecorded).toBe(true);
  });

  it('gives up waiting with a retriable error when the first copy takes too long', async () => {
    const dedupe = createWebhookDedupe({ redis, keyPrefix: prefix, waitMs: 200 });
    const id = `demo-pay:${crypto.randomUUID()}`;
    const first = deferred();
    const firstOutcome = dedupe.once(id, () => first.promise);
    await claimed(id);
    await expect(dedupe.once(id, async () => undefined)).rejects.toBeInstanceOf(RecordingBusyError);
    first.resolve();
    expect(await firstOutcome).toBe('recorded');
  });

  it('frees a claim whose owner died once its in-flight TTL runs out', async () => {
    const dedupe = createWebhookDedupe({ redis, keyPrefix: prefix, inFlightMs: 300, waitMs: 3_000 });
    const id = `demo-pay:${crypto.randomUUID()}`;
    // A claimant that crashed mid-publish: its claim stays, unmarked, until the TTL.
    await redis.set(`${prefix}webhook:${id}`, 'inflight:dead', 'PX', 300, 'NX');
    expect(await dedupe.once(id, async () => undefined)).toBe('recorded');
  });
});
