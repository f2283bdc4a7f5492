// The Redis-only baseline against the real Redis: a crowd of users, some claiming more than
// once and all at the same time, gets exactly the stock granted, one unit a user, and each
// refusal says why. Its own key prefix, deleted afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisOnlyViolations } from '../../../bench/baselines/redisOnlyCheck.js';
import { createRedisOnlyStore, type RedisOnlyStore } from '../../../bench/baselines/redisOnlyStore.js';
import { loadConfig } from '../../../platform/config.js';
import { createRedis, keyPrefix, type Redis } from '../../../platform/redis.js';
import { signUserToken } from '../../../producers/http/auth.js';
import { type Child, runChild } from '../../support/childProcess.js';
import { freshPrefix } from '../../support/realStack.js';
import { cleanPrefix } from '../../support/redisPrefix.js';

const config = loadConfig();
const prefix = freshPrefix('redisonly');
const saleId = 'sneaker';
let redis: Redis;
let store: RedisOnlyStore;
let server: Child;
let baseUrl: string;

beforeAll(async () => {
  redis = createRedis(config.redisUrl);
  store = createRedisOnlyStore({ redis, topicPrefix: prefix });
  server = runChild('bench/baselines/redisOnlyServer.ts', { TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
  const hello = await server.line((l) => typeof l.port === 'number');
  baseUrl = `http://127.0.0.1:${String(hello.port)}`;
});
afterAll(async () => {
  await server?.stop();
  await cleanPrefix(redis, keyPrefix(prefix));
  redis?.disconnect();
});

async function claim(token: string | undefined, body: unknown = { transactionId: crypto.randomUUID(), quantity: 1 }) {
  const res = await fetch(`${baseUrl}/sales/${saleId}/claims`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  // The token check's refusal goes to express's default error page (HTML), as on the naive route.
  const json = res.headers.get('content-type')?.includes('json') ?? false;
  return { status: res.status, body: (json ? await res.json() : await res.text()) as { status?: string; reason?: string } };
}

describe('the Redis-only baseline', () => {
  it('grants exactly the stock, one unit a user, and refuses the rest as sold out or duplicate', async () => {
    const stock = 5;
    const users = Array.from({ length: 8 }, (_, i) => `user-${i}`);
    const claimsPerUser = 3;
    await store.open(saleId, stock);
    const tokens = new Map(await Promise.all(users.map(async (u) => [u, await signUserToken(config, u)] as const)));

    // Every claim at once: each user's three race each other and the other users'.
    const answers = await Promise.all(
      users.flatMap((user) => Array.from({ length: claimsPerUser }, async () => ({ user, ...(await claim(tokens.get(user))) }))),
    );

    const granted = answers.filter((a) => a.status === 201);
    expect(granted).toHaveLength(stock);
    expect(new Set(granted.map((a) => a.user)).size).toBe(stock);
    expect(granted.every((a) => a.body.status === 'granted')).toBe(true);
    const holders = new Set(granted.map((a) => a.user));
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      // A holder's other claims came after their grant (before it, the unit they took was free):
      // each is a duplicate. Anyone else found the stock gone.
      expect(a.body).toEqual({ status: 'rejected', reason: holders.has(a.user) ? 'duplicate' : 'sold_out' });
    }
    const after = await store.count(saleId);
    expect(after).toEqual({ stockLeft: 0, holders: stock });
    expect(redisOnlyViolations({ stock, ...after, answeredGranted: granted.length })).toEqual([]);
  });

  it('refuses a holder again as a duplicate once the stock is gone, and a newcomer as sold out', async () => {
    await store.open(saleId, 1);
    const [first, second] = await Promise.all([signUserToken(config, 'first'), signUserToken(config, 'second')]);
    expect((await claim(first)).status).toBe(201);
    expect((await claim(first)).body).toEqual({ status: 'rejected', reason: 'duplicate' });
    expect((await claim(second)).body).toEqual({ status: 'rejected', reason: 'sold_out' });
  });

  it('asks for a token and takes one unit a claim, as the routes it stands beside', async () => {
    await store.open(saleId, 3);
    expect((await claim(undefined)).status).toBe(401);
    expect((await claim(await signUserToken(config, 'greedy'), { transactionId: 't', quantity: 2 })).status).toBe(400);
    expect(await store.count(saleId)).toEqual({ stockLeft: 3, holders: 0 });
  });
});
