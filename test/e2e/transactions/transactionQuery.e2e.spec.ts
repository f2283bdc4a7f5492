// GET /transactions/:transactionId over HTTP on the running system (api + projections): the
// owner sees the transaction folded from every topic, with the partner's payment that
// arrived through the signed webhook; anyone else gets 404, no token 401.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { storeReady } from '../storefront/storefrontClient.js';
import { newStory, story } from '../../support/transactionStory.js';
import { waitFor } from '../../support/waitFor.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem('txquery', ['api', 'projections'], { PARTNER_SECRETS: 'demo-pay:secret-current' });
  // Until the store's first build is done, a read the projection cannot answer is a 503, not a 404.
  await storeReady(system);
});
afterAll(async () => {
  await system?.stop();
});

async function get(transactionId: string, userId?: string) {
  const headers: Record<string, string> = userId ? { authorization: `Bearer ${await system.userToken(userId)}` } : {};
  const res = await fetch(`${system.baseUrl}/transactions/${transactionId}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function payByWebhook(transactionId: string, amountMinor: number): Promise<void> {
  const raw = JSON.stringify({
    eventId: `evt-${crypto.randomUUID()}`,
    transactionId,
    type: 'payment',
    quantity: 1,
    amountMinor,
    currency: 'EUR',
    occurredAt: new Date().toISOString(),
  });
  const res = await fetch(`${system.baseUrl}/partners/demo-pay/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'Flashsale-Signature': signWebhook('secret-current', raw) },
    body: raw,
  });
  expect(res.status).toBe(200);
}

describe('GET /transactions/:transactionId', () => {
  it('shows the owner their transaction from entry to payment, in the contract’s shape', async () => {
    // The story happened a minute ago; the payment is received now, so it comes last in the history.
    const s = newStory({ userId: `u-${crypto.randomUUID()}`, t0: Date.now() - 60_000 });
    const b = story(s);
    // The payment reaches the projection through its own topic, possibly before the redirect.
    await payByWebhook(s.transactionId, s.priceMinor);
    await system.platform.publisher.publish([b.entered(), b.requested(), b.granted(), b.redirected()]);

    const { body } = await waitFor(
      async () => {
        const res = await get(s.transactionId, s.userId);
        return res.status === 200 && (res.body.history as unknown[]).length === 5 ? res : undefined;
      },
      { what: 'the projected transaction' },
    );
    expect(body).toEqual({
      transactionId: s.transactionId,
      saleId: s.saleId,
      userId: s.userId,
      status: 'paid',
      slotId: `${s.saleId}:1`,
      slotIds: [`${s.saleId}:1`],
      expiresAt: new Date(s.t0 + 300_000).toISOString(),
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      history: [
        { type: 'EntryRecorded', at: new Date(s.t0).toISOString() },
        { type: 'ClaimRequested', at: new Date(s.t0 + 10).toISOString() },
        { type: 'ClaimGranted', at: new Date(s.t0 + 20).toISOString() },
        { type: 'PaymentRedirectIssued', at: new Date(s.t0 + 30).toISOString() },
        { type: 'PartnerPaymentReported', at: expect.any(String) as string },
      ],
    });
  });

  it('tells a rejected claim’s owner why', async () => {
    const s = newStory({ userId: `u-${crypto.randomUUID()}` });
    const b = story(s);
    await system.platform.publisher.publish([b.entered(), b.requested(), b.rejected(20, 'limit_exceeded')]);
    const { body } = await waitFor(async () => {
      const res = await get(s.transactionId, s.userId);
      return res.body.status === 'rejected' ? res : undefined;
    });
    expect(body).toMatchObject({ status: 'rejected', reason: 'limit_exceeded', quantity: 1, amountMinor: null });
    expect(body).not.toHaveProperty('slotId');
  });

  it('answers 404 to another user, to an unknown id and for a transaction only the partner spoke of; 401 without a token', async () => {
    const s = newStory({ userId: `u-${crypto.randomUUID()}` });
    await system.platform.publisher.publish([story(s).entered()]);
    await waitFor(async () => (await get(s.transactionId, s.userId)).status === 200);
    expect((await get(s.transactionId, 'someone-else')).status).toBe(404);
    expect((await get(s.transactionId)).status).toBe(401);
    expect((await get(crypto.randomUUID(), s.userId)).status).toBe(404);

    const unknown = crypto.randomUUID();
    await payByWebhook(unknown, 500);
    const { rows } = await waitFor(async () => {
      const r = await system.platform.db.query('select status, user_id from transactions where transaction_id = $1', [unknown]);
      return r.rows.length ? r : undefined;
    });
    expect(rows[0]).toEqual({ status: 'paid', user_id: null });
    expect((await get(unknown, 'anyone')).status).toBe(404);
  });
});
