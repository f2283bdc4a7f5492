// An analyst rebuilds the projections of a finished sale from the topics with
// `flashsale replay` and gets the live rows back; a live row that drifted is named.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../../demo/api.js';
import { runCrowd, type Shopper } from '../../../demo/crowd.js';
import { createPartner } from '../../../demo/partner.js';
import { storeReady } from '../storefront/storefrontClient.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;
const saleId = 'replayed-sale';

/** Runs the CLI without blocking this process: the system under test runs in it and must keep projecting. */
function replay(into: string, extra: string[] = []): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('node', ['bin/flashsale.js', 'replay', '--into', into, '--live', system.dbSchema, ...extra], {
    env: { ...process.env, TOPIC_PREFIX: system.prefix },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

beforeAll(async () => {
  system = await startTestSystem('replay');
  // A system just started may still be building its store (503): wait for it, as a client would retry.
  await storeReady(system);
  const api = createApiClient(system.baseUrl);
  const op = await system.operatorToken();
  const { config } = system.platform;
  expect(
    (await api.putProduct(op, 'p-replay', { name: 'Replayed', partnerId: 'demo-pay', priceMinor: 500, currency: 'EUR' })).status,
  ).toBeLessThan(300);
  const sale = await api.scheduleSale(op, {
    saleId,
    productId: 'p-replay',
    stock: 5,
    startsAt: new Date(Date.now() - 1000).toISOString(),
    endsAt: new Date(Date.now() + 600_000).toISOString(),
    perUserLimit: 1,
    reservationSeconds: 300,
    challenge: 'none',
  });
  expect(sale.status).toBe(201);
  const shoppers: Shopper[] = await Promise.all(
    Array.from({ length: 9 }, async (_, i) => ({ userId: `u${i}`, token: await system.userToken(`u${i}`) })),
  );
  const partner = createPartner(api, {
    partnerId: 'demo-pay',
    secret: config.partnerSecrets.get('demo-pay')![0]!,
    paymentTokenKey: config.paymentTokenKey,
  });
  const outcomes = await runCrowd(api, shoppers, saleId, {
    concurrency: 9,
    withChallenge: false,
    afterGrant: async (g) => {
      const redirect = await api.redirect(g.token, g.transactionId);
      await partner.pay(await partner.openPaymentPage(redirect.headers.get('location') ?? ''));
    },
  });
  expect(outcomes.filter((o) => o.status === 'granted')).toHaveLength(5);
  // The sale is finished once every projection has caught up with it.
  await waitFor(async () => (await fetch(`${system.baseUrl}/readyz`)).status === 200, { what: 'projections caught up' });
  await waitFor(
    async () => {
      const { rows } = await system.platform.db.query<{ n: string }>("select count(*) as n from transactions where status = 'paid'");
      return Number(rows[0]?.n) === 5;
    },
    { what: 'five paid transactions in the live projection' },
  );
});

afterAll(async () => {
  await system.stop();
});

describe('flashsale replay', () => {
  it('rebuilds every projection into a fresh schema and finds it equal to the live one', async () => {
    const result = await replay(`${system.dbSchema}_r1`);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^equal$/m);
    expect(result.stdout).toMatch(/replayed \d+ events/);
  });

  it('replays exactly the events of a time window, and finds them equal to the live ones', async () => {
    const db = system.platform.db;
    const { rows } = await db.query<{ t: Date }>('select occurred_at as t from transaction_events order by occurred_at');
    const from = rows[Math.floor(rows.length / 2)]!.t;
    const to = rows.at(-2)!.t;
    const result = await replay(`${system.dbSchema}_w`, ['--from', from.toISOString(), '--to', to.toISOString()]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^equal$/m);
    const count = async (schema: string) =>
      (
        await db.query<{ n: string; min: Date; max: Date }>(
          `select count(*) as n, min(occurred_at) as min, max(occurred_at) as max from ${schema}.transaction_events`,
        )
      ).rows[0]!;
    const inWindow = await db.query<{ n: string }>(
      'select count(*) as n from transaction_events where occurred_at >= $1 and occurred_at < $2',
      [from, to],
    );
    const replayed = await count(`${system.dbSchema}_w`);
    expect(Number(replayed.n)).toBe(Number(inWindow.rows[0]!.n));
    expect(replayed.min.getTime()).toBeGreaterThanOrEqual(from.getTime());
    expect(replayed.max.getTime()).toBeLessThan(to.getTime());
  });

  it('names the rows that differ and exits non-zero when the live projection drifted', async () => {
    await system.platform.db.query(
      "update transactions set status = 'refunded' where transaction_id = (select min(transaction_id) from transactions where status = 'paid')",
    );
    const result = await replay(`${system.dbSchema}_r2`);
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/transactions: 1 rows only in/);
    expect(result.stdout).toMatch(/"status":"refunded"/);
  });

  it('refuses to replay into a schema that already has tables', async () => {
    const result = await replay(system.dbSchema);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(/^flashsale: --into .* is the live schema/);
  });
});
