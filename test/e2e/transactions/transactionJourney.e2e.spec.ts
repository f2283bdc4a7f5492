// One transaction through the public API only, as a shopper and the partner live it: enter,
// claim, go to the payment page, pay by signed webhook, and GET /transactions/:id at each
// step. api + claims + projections on the real stack.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { type Call, client, scheduleSale, storeReady } from '../storefront/storefrontClient.js';

let system: TestSystem;
let call: Call;

beforeAll(async () => {
  system = await startTestSystem('txjourney', ['api', 'claims', 'projections'], {
    PARTNER_SECRETS: 'demo-pay:secret-current',
    RATE_LIMIT_USER_PER_SEC: '1000',
  });
  call = client(system);
  await storeReady(system);
});
afterAll(async () => {
  await system?.stop();
});

async function webhook(body: Record<string, unknown>) {
  const raw = JSON.stringify(body);
  return call('POST', '/partners/demo-pay/webhooks', {
    rawBody: raw,
    headers: { 'Flashsale-Signature': signWebhook('secret-current', raw) },
  });
}

describe('a transaction from entry to payment, through the public API', () => {
  it('is visible to its owner at every step and ends paid with its whole history', async () => {
    const { saleId, answer } = await scheduleSale(call, await system.operatorToken(), { stock: 3, priceMinor: 2500 });
    expect(answer.status).toBe(201);
    const token = await system.userToken('u-journey');
    const get = async (id: string, as = token) => call('GET', `/transactions/${id}`, { token: as });

    const entry = await call('POST', `/sales/${saleId}/entries`, { token });
    expect(entry.status).toBe(201);
    const transactionId = entry.body.transactionId as string;
    // Right away: from the projection if it is there already, else from the store.
    const entered = await get(transactionId);
    expect(entered.status).toBe(200);
    expect(entered.body).toMatchObject({ transactionId, saleId, userId: 'u-journey', status: 'entered' });

    let claim = await call('POST', `/sales/${saleId}/claims`, {
      token,
      body: { transactionId, quantity: 2 },
      headers: { prefer: 'wait=5' },
    });
    while (claim.status === 202) {
      claim = await call('POST', `/sales/${saleId}/claims`, { token, body: { transactionId, quantity: 2 }, headers: { prefer: 'wait=5' } });
    }
    expect(claim.status).toBe(201);
    expect((await call('POST', `/transactions/${transactionId}/redirect`, { token })).status).toBe(303);

    const paid = await webhook({
      eventId: `evt-${crypto.randomUUID()}`,
      transactionId,
      type: 'payment',
      quantity: 2,
      amountMinor: 5000,
      currency: 'EUR',
      occurredAt: new Date().toISOString(),
    });
    expect(paid.body).toMatchObject({ duplicate: false });

    // The projection folds each topic's partition as it comes: the payment (partner-events) can
    // be folded a moment before the grant (sales), and the view reads paid without its slot
    // meanwhile (a loaded npm test saw it). Its end state is paid with the grant folded.
    const final = await waitFor(
      async () => {
        const res = await get(transactionId);
        const folded = (res.body.history as { type: string }[] | undefined)?.map((h) => h.type) ?? [];
        return res.body.status === 'paid' && folded.includes('ClaimGranted') ? res : undefined;
      },
      { what: 'the transaction projected as paid, its grant folded' },
    );
    expect(final.body).toMatchObject({
      transactionId,
      saleId,
      userId: 'u-journey',
      status: 'paid',
      slotId: claim.body.slotId,
      expiresAt: claim.body.expiresAt,
      quantity: 2,
      amountMinor: 5000,
      currency: 'EUR',
    });
    expect((final.body.history as { type: string }[]).map((h) => h.type)).toEqual(
      expect.arrayContaining(['EntryRecorded', 'ClaimRequested', 'ClaimGranted', 'PaymentRedirectIssued', 'PartnerPaymentReported']),
    );
    expect((await get(transactionId, await system.userToken('u-other'))).status).toBe(404);
  });
});
