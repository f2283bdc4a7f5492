// A shopper's way through a sale over HTTP: read it, enter it, claim (with and without the
// proof of work), and go to the partner's payment page; and every malformed or foreign
// call refused without a trace on Kafka. Real stack, api + claims + projections roles.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../../producers/http/auth.js';
import { partnerPaymentKey, readPaymentToken } from '../../../producers/http/storefront/paymentToken.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { client, storeReady, iso, scheduleSale, solve, topicSize, type Answer, type Call } from './storefrontClient.js';

let system: TestSystem;
let admin: Admin;
let call: Call;
let operator: string;
const tokens = new Map<string, string>();

beforeAll(async () => {
  // Generous limits here: rate limiting has its own spec.
  system = await startTestSystem('storefront', ['api', 'claims', 'projections'], { RATE_LIMIT_USER_PER_SEC: '1000' });
  admin = system.platform.kafka.admin();
  await admin.connect();
  call = client(system);
  await storeReady(system);
  operator = await system.operatorToken();
});
afterAll(async () => {
  await admin?.disconnect();
  await system?.stop();
});

async function tokenOf(userId: string): Promise<string> {
  let token = tokens.get(userId);
  if (!token) {
    token = await system.userToken(userId);
    tokens.set(userId, token);
  }
  return token;
}

async function openSale(opts: Parameters<typeof scheduleSale>[2] = {}): Promise<string> {
  const { saleId, answer } = await scheduleSale(call, operator, opts);
  expect(answer.status).toBe(201);
  return saleId;
}

async function enter(saleId: string, userId: string): Promise<string> {
  const res = await call('POST', `/sales/${saleId}/entries`, { token: await tokenOf(userId) });
  expect(res.status).toBe(201);
  return res.body.transactionId as string;
}

/** Claims and waits for the decision, asking again while it is pending (a repeat publishes nothing). */
async function claimDecided(saleId: string, userId: string, body: Record<string, unknown>): Promise<Answer> {
  let res = await call('POST', `/sales/${saleId}/claims`, { token: await tokenOf(userId), body, headers: { prefer: 'wait=5' } });
  for (let i = 0; i < 6 && res.status === 202; i++) {
    res = await call('POST', `/sales/${saleId}/claims`, { token: await tokenOf(userId), body, headers: { prefer: 'wait=5' } });
  }
  return res;
}

describe('GET /sales/:saleId', () => {
  it("answers the contract's fields with ISO times", async () => {
    const saleId = await openSale({ stock: 3 });
    const res = await call('GET', `/sales/${saleId}`, { token: await tokenOf('u-read') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ saleId, status: 'open', stockRemaining: 3, priceMinor: 1999, currency: 'EUR', perUserLimit: 2 });
    expect(Date.parse(res.body.startsAt as string)).toBeGreaterThan(0);
    expect(res.body.endsAt).toMatch(/Z$/);
  });

  it('answers 404 for an unknown sale, 400 for a malformed id, 401 without a valid token', async () => {
    expect((await call('GET', '/sales/never-scheduled', { token: await tokenOf('u-read') })).status).toBe(404);
    const bad = await call('GET', `/sales/${'x'.repeat(65)}`, { token: await tokenOf('u-read') });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'saleId' })]);
    expect((await call('GET', '/sales/never-scheduled')).status).toBe(401);
    const forged = await signUserToken('not-the-auth-secret-at-all', 'u-read');
    expect((await call('GET', '/sales/never-scheduled', { token: forged })).status).toBe(401);
  });
});

describe('POST /sales/:saleId/entries', () => {
  it('opens a TransactionID (a UUID) and records the entry on Kafka', async () => {
    const saleId = await openSale();
    const before = await topicSize(admin, system, 'entries');
    const transactionId = await enter(saleId, 'u-enter');
    expect(transactionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await topicSize(admin, system, 'entries')).toBe(before + 1);
  });

  it('refuses an unknown sale (404), a body with fields (400), too large a body (413), bad JSON (400), no token (401), recording nothing', async () => {
    const saleId = await openSale();
    const token = await tokenOf('u-enter');
    const before = await topicSize(admin, system, 'entries');
    expect((await call('POST', '/sales/never-scheduled/entries', { token })).status).toBe(404);
    const extra = await call('POST', `/sales/${saleId}/entries`, { token, body: { quantity: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.body.details).toEqual([expect.objectContaining({ field: '(body)' })]);
    expect((await call('POST', `/sales/${saleId}/entries`, { token, body: { pad: 'x'.repeat(20_000) } })).status).toBe(413);
    expect((await call('POST', `/sales/${saleId}/entries`, { token, rawBody: '{nope' })).status).toBe(400);
    expect((await call('POST', `/sales/${saleId}/entries`, {})).status).toBe(401);
    expect((await call('POST', '/sales/bad:id/entries', { token })).status).toBe(400);
    expect(await topicSize(admin, system, 'entries')).toBe(before);
  });

  it('refuses entering a closed sale with 409', async () => {
    const saleId = await openSale();
    expect((await call('POST', `/sales/${saleId}/close`, { token: operator })).status).toBe(200);
    const before = await topicSize(admin, system, 'entries');
    expect((await call('POST', `/sales/${saleId}/entries`, { token: await tokenOf('u-enter') })).status).toBe(409);
    expect(await topicSize(admin, system, 'entries')).toBe(before);
  });
});

describe('POST /sales/:saleId/claims', () => {
  it('grants with Prefer: wait, and a repeat answers the first decision without a new Kafka write', async () => {
    const saleId = await openSale({ stock: 5 });
    const transactionId = await enter(saleId, 'u-claim');
    const granted = await claimDecided(saleId, 'u-claim', { transactionId, quantity: 2 });
    expect(granted.status).toBe(201);
    expect(granted.body).toMatchObject({ transactionId, status: 'granted', quantity: 2, amountMinor: 3998, currency: 'EUR' });
    expect(granted.body.slotId).toEqual((granted.body.slotIds as string[])[0]);
    expect(granted.body.slotIds).toHaveLength(2);
    expect(Date.parse(granted.body.expiresAt as string)).toBeGreaterThan(Date.now());

    const claimsBefore = await topicSize(admin, system, 'claims');
    const repeat = await call('POST', `/sales/${saleId}/claims`, {
      token: await tokenOf('u-claim'),
      body: { transactionId, quantity: 1 },
    });
    expect(repeat.status).toBe(201);
    expect(repeat.body).toEqual(granted.body);
    expect(await topicSize(admin, system, 'claims')).toBe(claimsBefore);
  });

  it('answers 202 pending without a wait, and the decision later', async () => {
    const saleId = await openSale();
    const transactionId = await enter(saleId, 'u-pending');
    const pending = await call('POST', `/sales/${saleId}/claims`, {
      token: await tokenOf('u-pending'),
      body: { transactionId, quantity: 1 },
    });
    expect(pending.status).toBe(202);
    expect(pending.body).toEqual({ transactionId, status: 'pending' });
    expect((await claimDecided(saleId, 'u-pending', { transactionId, quantity: 1 })).status).toBe(201);
  });

  it('passes the decision-maker a refusal over the per-user limit: 409 limit_exceeded', async () => {
    const saleId = await openSale({ perUserLimit: 2 });
    const transactionId = await enter(saleId, 'u-greedy');
    const res = await claimDecided(saleId, 'u-greedy', { transactionId, quantity: 3 });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ transactionId, status: 'rejected', reason: 'limit_exceeded' });
  });

  it('refuses a sold-out sale at once, without waiting on Kafka, and records the refusal in the background', async () => {
    const saleId = await openSale({ stock: 1 });
    const first = await enter(saleId, 'u-first');
    expect((await claimDecided(saleId, 'u-first', { transactionId: first, quantity: 1 })).status).toBe(201);
    const late = await enter(saleId, 'u-late');
    const claimsBefore = await topicSize(admin, system, 'claims');
    const salesBefore = await topicSize(admin, system, 'sales');
    const res = await call('POST', `/sales/${saleId}/claims`, {
      token: await tokenOf('u-late'),
      body: { transactionId: late, quantity: 1 },
      headers: { prefer: 'wait=5' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ transactionId: late, status: 'rejected', reason: 'sold_out' });
    expect(await topicSize(admin, system, 'claims')).toBe(claimsBefore);
    // The refusal's ClaimRejected, once, after the answer.
    await waitFor(async () => (await topicSize(admin, system, 'sales')) === salesBefore + 1, { what: 'the refusal on record' });
  });

  it('refuses a sale that has not started as not open, without touching Kafka', async () => {
    const saleId = await openSale({ startsAt: iso(Date.now() + 600_000) });
    const transactionId = await enter(saleId, 'u-early');
    const before = await topicSize(admin, system, 'claims');
    const res = await call('POST', `/sales/${saleId}/claims`, { token: await tokenOf('u-early'), body: { transactionId, quantity: 1 } });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ status: 'rejected', reason: 'sale_not_open' });
    expect(await topicSize(admin, system, 'claims')).toBe(before);
  });

  it('refuses every malformed claim with 400 naming the field, recording nothing', async () => {
    const saleId = await openSale();
    const transactionId = await enter(saleId, 'u-bad');
    const token = await tokenOf('u-bad');
    const before = await topicSize(admin, system, 'claims');
    const cases: [Record<string, unknown>, Record<string, string>, string][] = [
      [{ transactionId: 'not-a-uuid', quantity: 1 }, {}, 'transactionId'],
      [{ quantity: 1 }, {}, 'transactionId'],
      [{ transactionId }, {}, 'quantity'],
      [{ transactionId, quantity: 0 }, {}, 'quantity'],
      [{ transactionId, quantity: 1.5 }, {}, 'quantity'],
      [{ transactionId, quantity: '1' }, {}, 'quantity'],
      [{ transactionId, quantity: 1, challengeSolution: 42 }, {}, 'challengeSolution'],
      [{ transactionId, quantity: 1, extra: true }, {}, '(body)'],
      [{ transactionId, quantity: 1 }, { prefer: 'wait=6' }, 'Prefer'],
      [{ transactionId, quantity: 1 }, { prefer: 'wait=soon' }, 'Prefer'],
    ];
    for (const [body, headers, field] of cases) {
      const res = await call('POST', `/sales/${saleId}/claims`, { token, body, headers });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
    expect((await call('POST', '/sales/bad:id/claims', { token, body: { transactionId, quantity: 1 } })).status).toBe(400);
    expect((await call('POST', `/sales/${saleId}/claims`, { token, rawBody: '[1,' })).status).toBe(400);
    expect(await topicSize(admin, system, 'claims')).toBe(before);
  });

  it("answers 404 for another user's transaction, another sale's, or an unknown one, and 401 without a token", async () => {
    const saleId = await openSale();
    const otherSale = await openSale();
    const transactionId = await enter(saleId, 'u-owner');
    const before = await topicSize(admin, system, 'claims');
    const body = { transactionId, quantity: 1 };
    expect((await call('POST', `/sales/${saleId}/claims`, { token: await tokenOf('u-thief'), body })).status).toBe(404);
    expect((await call('POST', `/sales/${otherSale}/claims`, { token: await tokenOf('u-owner'), body })).status).toBe(404);
    const unknown = { transactionId: crypto.randomUUID(), quantity: 1 };
    expect((await call('POST', `/sales/${saleId}/claims`, { token: await tokenOf('u-owner'), body: unknown })).status).toBe(404);
    expect((await call('POST', `/sales/${saleId}/claims`, { body })).status).toBe(401);
    expect(await topicSize(admin, system, 'claims')).toBe(before);
  });
});

describe('claim metrics', () => {
  it('counts claims by outcome and times them, on /metrics (the operations port)', async () => {
    const saleId = await openSale({ stock: 1 });
    const transactionId = await enter(saleId, 'u-metrics');
    expect((await claimDecided(saleId, 'u-metrics', { transactionId, quantity: 1 })).status).toBe(201);
    const text = await (await fetch(`${system.opsUrl}/metrics`)).text();
    expect(text).toMatch(/^flashsale_http_claims_total\{outcome="granted",reason=""\} [1-9]/m);
    expect(text).toMatch(/^flashsale_http_claim_duration_seconds_count\{outcome="granted"\} [1-9]/m);
  });
});

describe('the proof-of-work challenge', () => {
  it('hands out a fresh ALTCHA challenge bound to the sale and the user', async () => {
    const saleId = await openSale({ challenge: 'pow' });
    const token = await tokenOf('u-pow');
    const a = await call('GET', `/sales/${saleId}/challenge`, { token });
    const b = await call('GET', `/sales/${saleId}/challenge`, { token });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ algorithm: 'SHA-256', maxnumber: expect.any(Number) as number });
    expect(a.body.salt).toContain(`saleId=${saleId}`);
    expect(a.body.salt).toContain('userId=u-pow');
    expect(a.body.challenge).not.toBe(b.body.challenge);
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect((await call('GET', '/sales/never-scheduled/challenge', { token })).status).toBe(404);
    expect((await call('GET', '/sales/bad:id/challenge', { token })).status).toBe(400);
    expect((await call('GET', `/sales/${saleId}/challenge`)).status).toBe(401);
  });

  it('refuses a claim without a solution, with a wrong one, or with one for someone else (403), recording nothing', async () => {
    const saleId = await openSale({ challenge: 'pow' });
    const transactionId = await enter(saleId, 'u-pow');
    const token = await tokenOf('u-pow');
    const before = await topicSize(admin, system, 'claims');
    const claim = (challengeSolution?: unknown) =>
      call('POST', `/sales/${saleId}/claims`, { token, body: { transactionId, quantity: 1, challengeSolution } });

    expect((await claim()).status).toBe(403);
    expect((await claim('garbage')).status).toBe(403);

    const challenge = (await call('GET', `/sales/${saleId}/challenge`, { token })).body;
    const solved = JSON.parse(Buffer.from(await solve(challenge), 'base64').toString()) as { number: number };
    expect((await claim({ ...challenge, number: solved.number + 1 })).status).toBe(403);

    const someoneElses = (await call('GET', `/sales/${saleId}/challenge`, { token: await tokenOf('u-other') })).body;
    expect((await claim(await solve(someoneElses))).status).toBe(403);

    expect(await topicSize(admin, system, 'claims')).toBe(before);
  });

  it('accepts a solved challenge once', async () => {
    const saleId = await openSale({ challenge: 'pow' });
    const token = await tokenOf('u-solver');
    const first = await enter(saleId, 'u-solver');
    const second = await enter(saleId, 'u-solver');
    const solution = await solve((await call('GET', `/sales/${saleId}/challenge`, { token })).body);
    const ok = await claimDecided(saleId, 'u-solver', { transactionId: first, quantity: 1, challengeSolution: solution });
    expect(ok.status).toBe(201);
    const reused = await call('POST', `/sales/${saleId}/claims`, {
      token,
      body: { transactionId: second, quantity: 1, challengeSolution: solution },
    });
    expect(reused.status).toBe(403);
    expect(reused.body.error).toMatch(/already used/);
  });
});

describe('POST /transactions/:transactionId/redirect', () => {
  it("sends the owner of a granted reservation to the partner's page with a token naming transaction, amount and expiry", async () => {
    const saleId = await openSale({ stock: 2 });
    const transactionId = await enter(saleId, 'u-pay');
    const granted = await claimDecided(saleId, 'u-pay', { transactionId, quantity: 2 });
    expect(granted.status).toBe(201);
    const before = await topicSize(admin, system, 'redirects');

    const res = await call('POST', `/transactions/${transactionId}/redirect`, { token: await tokenOf('u-pay') });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://pay.example/demo-pay/checkout');
    const token = location.searchParams.get('token')!;
    const claims = await readPaymentToken(token, partnerPaymentKey(system.platform.config.paymentTokenKey, 'demo-pay'), 'demo-pay');
    expect(claims).toEqual({
      transactionId,
      saleId,
      partnerId: 'demo-pay',
      quantity: 2,
      amountMinor: 3998,
      currency: 'EUR',
      expiresAt: Date.parse(granted.body.expiresAt as string),
    });
    await expect(
      readPaymentToken(token, partnerPaymentKey(system.platform.config.paymentTokenKey, 'other-pay'), 'demo-pay'),
    ).rejects.toThrow();
    expect(await topicSize(admin, system, 'redirects')).toBe(before + 1);
  });

  it("refuses a transaction that is not granted (409), another user's (404), a malformed id (400)", async () => {
    const saleId = await openSale();
    const entered = await enter(saleId, 'u-nopay');
    const rejected = await enter(saleId, 'u-nopay');
    expect((await claimDecided(saleId, 'u-nopay', { transactionId: rejected, quantity: 9 })).status).toBe(409);
    const before = await topicSize(admin, system, 'redirects');
    const token = await tokenOf('u-nopay');
    expect((await call('POST', `/transactions/${entered}/redirect`, { token })).status).toBe(409);
    expect((await call('POST', `/transactions/${rejected}/redirect`, { token })).status).toBe(409);
    expect((await call('POST', `/transactions/${entered}/redirect`, { token: await tokenOf('u-thief') })).status).toBe(404);
    expect((await call('POST', '/transactions/not-a-uuid/redirect', { token })).status).toBe(400);
    expect((await call('POST', `/transactions/${entered}/redirect`, {})).status).toBe(401);
    expect(await topicSize(admin, system, 'redirects')).toBe(before);
  });
});
