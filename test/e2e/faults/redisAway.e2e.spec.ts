// Redis away or out of memory: the sale routes, the transactions route and the partner
// webhooks answer 503 with Retry-After, in bounded time, never 500. The system runs against
// a redis-server of this test's own, which the test fills and stops.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '../../support/faults/ownRedis.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { client, scheduleSale, storeReady, type Answer, type Call } from '../storefront/storefrontClient.js';

let redis: OwnRedis;
let system: TestSystem;
let call: Call;
let user: string;
let saleId: string;
let transactionId: string;

beforeAll(async () => {
  redis = await startOwnRedis({ persistence: 'none' });
  system = await startTestSystem('redis-away', ['api', 'claims', 'projections'], { REDIS_URL: redis.url });
  call = client(system);
  await storeReady(system);
  ({ saleId } = await scheduleSale(call, await system.operatorToken()));
  user = await system.userToken('shopper-redis');
  const entry = await call('POST', `/sales/${saleId}/entries`, { token: user });
  expect(entry.status).toBe(201);
  transactionId = entry.body.transactionId as string;
});
afterAll(async () => {
  await system?.stop().catch(() => undefined);
  await redis?.stop();
});

/** Every sale-facing call a shopper makes, timed. */
async function shopperCalls(): Promise<{ what: string; answer: Answer; ms: number }[]> {
  const calls: [string, string, string, unknown?][] = [
    ['sale', 'GET', `/sales/${saleId}`],
    ['entry', 'POST', `/sales/${saleId}/entries`],
    ['claim', 'POST', `/sales/${saleId}/claims`, { transactionId, quantity: 1 }],
    // Not projected yet, so answered from Redis; a projected one is served from PostgreSQL.
    ['transaction', 'GET', `/transactions/${crypto.randomUUID()}`],
    ['redirect', 'POST', `/transactions/${transactionId}/redirect`],
  ];
  const answers = [];
  for (const [what, method, path, body] of calls) {
    const started = performance.now();
    const answer = await call(method, path, { token: user, body, headers: { prefer: 'wait=1' } });
    answers.push({ what, answer, ms: performance.now() - started });
  }
  return answers;
}

function expectAllUnavailable(answers: { what: string; answer: Answer; ms: number }[]): void {
  for (const { what, answer, ms } of answers) {
    expect({ what, status: answer.status }).toEqual({ what, status: 503 });
    expect(answer.headers.get('retry-after'), what).toMatch(/^\d+$/);
    expect(ms, `${what} answered within the deadline`).toBeLessThan(8_000);
  }
}

describe('Redis out of memory (maxmemory, noeviction)', () => {
  it('answers 503 with Retry-After on the routes that write, not 500', async () => {
    const admin = new Redis(redis.url);
    try {
      await admin.set('ballast', 'x'.repeat(2 * 1024 * 1024));
      await admin.config('SET', 'maxmemory-policy', 'noeviction');
      await admin.config('SET', 'maxmemory', '1mb');
      const entry = await call('POST', `/sales/${saleId}/entries`, { token: user });
      const claim = await call('POST', `/sales/${saleId}/claims`, { token: user, body: { transactionId, quantity: 1 } });
      for (const [what, answer] of [
        ['entry', entry],
        ['claim', claim],
      ] as const) {
        expect({ what, status: answer.status }).toEqual({ what, status: 503 });
        expect(answer.headers.get('retry-after'), what).toMatch(/^\d+$/);
      }
    } finally {
      await admin.config('SET', 'maxmemory', '0');
      await admin.del('ballast');
      admin.disconnect();
    }
  });
});

describe('Redis stopped', () => {
  it('answers 503 with Retry-After on every sale route and the transactions route, within the deadline', async () => {
    await redis.kill();
    const answers = await shopperCalls();
    console.info(`Redis stopped: ${answers.map((a) => `${a.what} ${a.answer.status} in ${Math.round(a.ms)} ms`).join(', ')}`);
    expectAllUnavailable(answers);
  });
});
