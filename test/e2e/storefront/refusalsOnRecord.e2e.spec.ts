// Every "no" is on record: after a sold-out sale, every shopper refused (at the edge or by the
// decision-maker) has a transaction that reads `rejected` / `sold_out`, the audit of one
// refused at the edge shows its ClaimRejected, and the sale's report counts the refusals.
// Real stack: api, claims, projections and reconciliation in-process.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { client, scheduleSale, storeReady, type Answer, type Call } from './storefrontClient.js';

const SHOPPERS = 300;
const STOCK = 20;
const CONCURRENCY = 25;

let system: TestSystem;
let call: Call;

beforeAll(async () => {
  system = await startTestSystem('refusals', ['api', 'claims', 'projections', 'reconciliation'], { RATE_LIMIT_USER_PER_SEC: '1000' });
  call = client(system);
  await storeReady(system);
});
afterAll(async () => {
  await system?.stop();
});

async function inBatches<T, R>(items: readonly T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CONCURRENCY) results.push(...(await Promise.all(items.slice(i, i + CONCURRENCY).map(each))));
  return results;
}

/** `flashsale audit transaction <id> --json`, as an auditor runs it. */
function audit(transactionId: string): Promise<{ type: string; summary: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/flashsale.js', 'audit', 'transaction', transactionId, '--json'], {
      env: { ...process.env, TOPIC_PREFIX: system.prefix },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { type: string; summary: string }[]) : reject(new Error(err))));
  });
}

describe('a sold-out sale', () => {
  it('leaves every refused shopper rejected / sold_out, on record, and counted in the report', async () => {
    const operator = await system.operatorToken();
    const { saleId, answer } = await scheduleSale(call, operator, { stock: STOCK, perUserLimit: 1 });
    expect(answer.status).toBe(201);

    const shoppers = await inBatches(
      Array.from({ length: SHOPPERS }, (_, i) => `refused-${i}`),
      async (userId) => {
        const token = await system.userToken(userId);
        const entry = await call('POST', `/sales/${saleId}/entries`, { token });
        expect(entry.status).toBe(201);
        return { userId, token, transactionId: entry.body.transactionId as string };
      },
    );
    const claims: Answer[] = await inBatches(shoppers, (s) =>
      call('POST', `/sales/${saleId}/claims`, { token: s.token, body: { transactionId: s.transactionId, quantity: 1 } }),
    );
    const refusedAtEdge = shoppers.filter((_, i) => claims[i]!.status === 409);
    // Once the decision-maker sold the last unit, the edge refuses at once.
    expect(refusedAtEdge.length).toBeGreaterThan(0);
    for (const i of claims.keys()) expect([202, 409]).toContain(claims[i]!.status);

    // Every transaction ends decided, in the projection: 20 granted, every other one rejected / sold_out.
    const views = await waitFor(
      async () => {
        const all = await inBatches(
          shoppers,
          async (s) => (await call('GET', `/transactions/${s.transactionId}`, { token: s.token })).body,
        );
        return all.every((v) => v.status === 'granted' || v.status === 'rejected') && all;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every transaction decided' },
    );
    expect(views.filter((v) => v.status === 'granted')).toHaveLength(STOCK);
    const rejected = views.filter((v) => v.status === 'rejected');
    expect(rejected).toHaveLength(SHOPPERS - STOCK);
    expect(new Set(rejected.map((v) => v.reason))).toEqual(new Set(['sold_out']));

    // A repeated claim answers the first decision, the edge's refusal.
    const again = refusedAtEdge[0]!;
    const repeat = await call('POST', `/sales/${saleId}/claims`, {
      token: again.token,
      body: { transactionId: again.transactionId, quantity: 1 },
    });
    expect(repeat.status).toBe(409);
    expect(repeat.body).toMatchObject({ status: 'rejected', reason: 'sold_out' });

    // The report counts every refusal.
    const report = await waitFor(
      async () => {
        const res = await call('GET', `/reconciliation/sales/${saleId}`, { token: operator });
        return res.status === 200 && (res.body.internal as { refused: number }).refused === SHOPPERS - STOCK && res.body;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: 'the report to count the refusals' },
    );
    expect(report.internal).toMatchObject({ granted: STOCK, refused: SHOPPERS - STOCK });

    // The audit of a transaction refused at the edge ends with its refusal.
    const trail = await audit(again.transactionId);
    expect(trail.map((e) => e.type)).toEqual(['EntryRecorded', 'ClaimRejected']);
    expect(trail[1]!.summary).toMatch(/sold_out \(refused at the edge\)/);
  });
});
