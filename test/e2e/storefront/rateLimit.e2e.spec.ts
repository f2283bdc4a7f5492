// Rate limits per user, per operator, per IP and per partner, counted in Redis: beyond them,
// 429 with Retry-After, on every route that reaches a store (the sale routes, a transaction,
// the operator routes and the reconciliation report, partner webhooks).
import crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { signUserToken } from '../../../producers/http/auth.js';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { type Answer, client, storeReady, type Call } from './storefrontClient.js';

const USER_PER_SEC = 3;
const OPERATOR_PER_SEC = 3;
const IP_PER_SEC = 8;
const PARTNER_PER_SEC = 3;
const PARTNER_SECRET = 'limits-partner-secret';

let system: TestSystem;
let call: Call;

beforeAll(async () => {
  system = await startTestSystem('ratelimit', ['api', 'projections'], {
    RATE_LIMIT_USER_PER_SEC: String(USER_PER_SEC),
    RATE_LIMIT_OPERATOR_PER_SEC: String(OPERATOR_PER_SEC),
    RATE_LIMIT_IP_PER_SEC: String(IP_PER_SEC),
    RATE_LIMIT_PARTNER_PER_SEC: String(PARTNER_PER_SEC),
    PARTNER_SECRETS: `demo-pay:${PARTNER_SECRET}`,
  });
  call = client(system);
  await storeReady(system);
});
afterAll(async () => {
  await system?.stop();
});
// Windows last one second from a key's first request: each test starts with fresh ones.
beforeEach(async () => {
  await new Promise((r) => setTimeout(r, 1_100));
});

const limitedBy = (answers: Answer[], what: RegExp) => answers.filter((a) => a.status === 429 && what.test(String(a.body.error)));

describe('rate limits', () => {
  it('answers 429 with Retry-After to a user over the limit, while another user goes on', async () => {
    const token = await system.userToken('u-busy');
    const answers = await Promise.all(Array.from({ length: USER_PER_SEC + 3 }, () => call('GET', '/sales/some-sale', { token })));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body.error).toMatch(/user/);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Everything under the limit got its ordinary answer (no such sale).
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 404)).toBe(true);
  });

  it('answers 429 to an IP over the limit, whoever the users are, counting requests without a good token too', async () => {
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => system.userToken(`u-crowd-${i}`)));
    const answers = await Promise.all(tokens.map((token) => call('GET', '/sales/some-sale', { token })));
    const limited = answers.filter((a) => a.status === 429);
    // Fixed one-second windows: a burst straddling two windows passes at most twice the limit.
    expect(limited.length).toBeGreaterThanOrEqual(30 - 2 * IP_PER_SEC);
    expect(limited[0]!.body.error).toMatch(/IP/);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const anonymous = await Promise.all(Array.from({ length: 30 }, () => call('GET', '/sales/some-sale')));
    expect(anonymous.some((a) => a.status === 429)).toBe(true);
  });
});

describe('rate limits beyond the sale routes', () => {
  it('limits GET /transactions/:id per user, with Retry-After', async () => {
    const token = await system.userToken('u-reader');
    const answers = await Promise.all(
      Array.from({ length: USER_PER_SEC + 3 }, () => call('GET', `/transactions/${crypto.randomUUID()}`, { token })),
    );
    const limited = limitedBy(answers, /user/);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 404)).toBe(true);
  });

  it('limits GET /transactions/:id per IP, bad tokens included', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => call('GET', `/transactions/${crypto.randomUUID()}`)));
    expect(limitedBy(answers, /IP/).length).toBeGreaterThanOrEqual(30 - 2 * IP_PER_SEC);
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 401)).toBe(true);
  });

  it('limits the reconciliation report per operator and per IP', async () => {
    const operator = await system.operatorToken();
    const asOperator = await Promise.all(
      Array.from({ length: OPERATOR_PER_SEC + 3 }, () => call('GET', '/reconciliation/sales/no-such-sale', { token: operator })),
    );
    expect(limitedBy(asOperator, /operator/).length).toBeGreaterThanOrEqual(1);
    expect(asOperator.filter((a) => a.status !== 429).every((a) => a.status === 404)).toBe(true);

    await new Promise((r) => setTimeout(r, 1_100));
    const anonymous = await Promise.all(Array.from({ length: 30 }, () => call('GET', '/reconciliation/sales/no-such-sale')));
    expect(limitedBy(anonymous, /IP/).length).toBeGreaterThanOrEqual(30 - 2 * IP_PER_SEC);
  });

  it('limits the product and sale routes per operator, in one window across them, with Retry-After; a shopper of the same name is not held', async () => {
    const operator = await signUserToken(system.platform.config, 'ops-script', { operator: true });
    const product = { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' };
    // What a set-up script sends: products, sales (this body is refused, 400, once let in), a close.
    const requests = [
      () => call('PUT', `/products/p-ops-${crypto.randomUUID()}`, { token: operator, body: product }),
      () => call('POST', '/sales', { token: operator, body: { saleId: 'never-scheduled' } }),
      () => call('POST', '/sales/no-such-sale/close', { token: operator }),
    ];
    const burst = await Promise.all(Array.from({ length: OPERATOR_PER_SEC + 3 }, (_, i) => requests[i % requests.length]!()));
    const limited = limitedBy(burst, /operator/);
    console.log(`${burst.length} operator requests in a second, limit ${OPERATOR_PER_SEC}: ${burst.map((a) => a.status).join(',')}`);
    expect(limited).toHaveLength(burst.length - OPERATOR_PER_SEC);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Those let in got their ordinary answers.
    expect(
      burst
        .filter((a) => a.status !== 429)
        .map((a) => a.status)
        .every((s) => [201, 400, 404].includes(s)),
    ).toBe(true);
    // The operator's window is the operator's: a shopper whose token has the same sub goes on.
    const shopper = await system.userToken('ops-script');
    expect((await call('GET', '/sales/some-sale', { token: shopper })).status).toBe(404);

    // And the next window lets the operator in again.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await call('POST', '/sales/no-such-sale/close', { token: operator })).status).toBe(404);
  });

  it('limits webhooks per partner once signed, and an unsigned flood spends its IP’s budget, not the partner’s', async () => {
    const signed = () => {
      const raw = JSON.stringify({
        eventId: `evt-${crypto.randomUUID()}`,
        transactionId: crypto.randomUUID(),
        type: 'payment',
        quantity: 1,
        amountMinor: 1999,
        currency: 'EUR',
        occurredAt: new Date().toISOString(),
      });
      return call('POST', '/partners/demo-pay/webhooks', {
        rawBody: raw,
        headers: { 'Flashsale-Signature': signWebhook(PARTNER_SECRET, raw) },
      });
    };
    const forged = () => call('POST', '/partners/demo-pay/webhooks', { rawBody: '{}', headers: { 'Flashsale-Signature': 't=1,v1=00' } });

    // Forgeries under the IP's limit: refused (401) without touching the partner's window.
    const forgeries = await Promise.all(Array.from({ length: IP_PER_SEC - PARTNER_PER_SEC }, forged));
    expect(forgeries.map((a) => a.status)).toEqual(forgeries.map(() => 401));
    const real = await Promise.all(Array.from({ length: PARTNER_PER_SEC }, signed));
    expect(real.map((a) => a.status)).toEqual(real.map(() => 200));

    await new Promise((r) => setTimeout(r, 1_100));
    const burst = await Promise.all(Array.from({ length: PARTNER_PER_SEC + 3 }, signed));
    const limited = limitedBy(burst, /partner/);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(burst.filter((a) => a.status !== 429).every((a) => a.status === 200)).toBe(true);

    await new Promise((r) => setTimeout(r, 1_100));
    const flood = await Promise.all(Array.from({ length: 30 }, forged));
    expect(limitedBy(flood, /IP/).length).toBeGreaterThanOrEqual(30 - 2 * IP_PER_SEC);
  });
});
