// A small HTTP client for the sale routes in end-to-end tests, and ways to see what reached
// Kafka: the summed end offsets of a topic tell whether a refused call wrote anything.
import { solveChallenge } from 'altcha-lib';
import type { Admin } from 'kafkajs';
import { createSaleStore } from '../../../writeModel/saleStore.js';
import { topicName, type TopicName } from '../../../schemas/topics.js';
import type { TestSystem } from '../../support/system.js';

export type Answer = { status: number; headers: Headers; body: Record<string, unknown> };

export type Call = (
  method: string,
  path: string,
  opts?: { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> },
) => Promise<Answer>;

export function client(system: Pick<TestSystem, 'baseUrl'>): Call {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(`${system.baseUrl}${path}`, {
      method,
      headers,
      body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
      redirect: 'manual',
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** Resolves once the Redis store has finished its first build, so reads answer rather than 503. */
export async function storeReady(system: TestSystem): Promise<void> {
  const store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
  try {
    if (!(await store.waitUntilReady(60_000))) throw new Error('the sale store did not become ready within 60 s');
  } finally {
    await store.close();
  }
}

/** How many records a topic holds in all (the sum of its partitions' end offsets). */
export async function topicSize(admin: Admin, system: TestSystem, topic: TopicName): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topicName(system.prefix, topic));
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

/** Solves a challenge as an ALTCHA client would and returns the payload it submits (base64 JSON). */
export async function solve(challenge: Record<string, unknown>): Promise<string> {
  const c = challenge as { algorithm: string; challenge: string; salt: string; signature: string; maxnumber: number };
  const solution = await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise;
  if (!solution) throw new Error('challenge has no solution');
  const payload = { algorithm: c.algorithm, challenge: c.challenge, number: solution.number, salt: c.salt, signature: c.signature };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

export const iso = (ms: number) => new Date(ms).toISOString();

let counter = 0;
export const uniqueId = (label: string) => `${label}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A product and a sale of it, open now unless told otherwise; answers the POST /sales answer. */
export async function scheduleSale(
  call: Call,
  operatorToken: string,
  sale: Partial<{
    saleId: string;
    stock: number;
    startsAt: string;
    endsAt: string;
    perUserLimit: number;
    reservationSeconds: number;
    challenge: 'pow' | 'none';
    priceMinor: number;
    maxOpenEntriesPerUser: number;
    shards: number;
  }> = {},
): Promise<{ saleId: string; productId: string; answer: Answer }> {
  const productId = uniqueId('p');
  const put = await call('PUT', `/products/${productId}`, {
    token: operatorToken,
    body: { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' },
  });
  if (put.status !== 201) throw new Error(`PUT /products answered ${put.status}: ${JSON.stringify(put.body)}`);
  const saleId = sale.saleId ?? uniqueId('s');
  const answer = await call('POST', '/sales', {
    token: operatorToken,
    body: {
      saleId,
      productId,
      stock: 5,
      startsAt: iso(Date.now() - 1000),
      endsAt: iso(Date.now() + 3600_000),
      perUserLimit: 2,
      reservationSeconds: 300,
      challenge: 'none',
      ...sale,
    },
  });
  return { saleId, productId, answer };
}
