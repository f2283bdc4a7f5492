// The contract test: walks every route the OpenAPI description names against the running
// system (api, claims, projections, reconciliation on the real stack), successes and
// refusals, and checks each answer against the document the API serves: the status is one
// it documents for that route, the body validates (ajv, JSON Schema 2020-12) against that
// status's schema, and the headers it documents are there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { type ContractChecker, type ContractDocument, createContractChecker } from './contractChecker.js';
import { storeReady, uniqueId } from '../storefront/storefrontClient.js';

let system: TestSystem;
let doc: ContractDocument;
let api: ContractChecker;

beforeAll(async () => {
  system = await startTestSystem('contract', ['api', 'claims', 'projections', 'reconciliation'], {
    RATE_LIMIT_PARTNER_PER_SEC: '3',
    RATE_LIMIT_USER_PER_SEC: '1000',
  });
  await storeReady(system);
  doc = (await (await fetch(`${system.baseUrl}/openapi.json`)).json()) as ContractDocument;
  api = createContractChecker(system.baseUrl, doc);
});
afterAll(async () => {
  await system?.stop();
});

const DEV_PARTNER_SECRET = 'dev-secret';

function signed(body: unknown, secret = DEV_PARTNER_SECRET) {
  const raw = JSON.stringify(body);
  return { raw, headers: { 'flashsale-signature': signWebhook(secret, raw) } };
}

describe('every answer of the running system matches the OpenAPI description', () => {
  it('health and the description itself', async () => {
    expect((await api.call('GET', '/healthz', {})).status).toBe(200);
    await waitFor(async () => (await api.call('GET', '/readyz', {})).status === 200, { what: 'ready', timeoutMs: 60_000, intervalMs: 500 });
    expect((await api.call('GET', '/openapi.json', {})).status).toBe(200);
    expect((await api.call('GET', '/docs', {})).status).toBe(200);
  });

  it('refuses, as the checker, an answer the document does not allow', () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    expect(() => api.check('get', '/healthz', { status: 200, headers, body: { ok: false } })).toThrow();
    expect(() => api.check('get', '/healthz', { status: 418, headers, body: { ok: true } })).toThrow();
    const sale = { saleId: 's', productId: 'p', status: 'open', stockRemaining: 1, priceMinor: 1, currency: 'EUR' };
    expect(() => api.check('get', '/sales/{saleId}', { status: 200, headers, body: sale })).toThrow();
    expect(() => api.check('get', '/sales/{saleId}', { status: 404, headers, body: { message: 'no' } })).toThrow();
  });

  it('walks a sale from product to paid transaction and report, with the refusals on the way', async () => {
    const operator = await system.operatorToken();
    const alice = await system.userToken(uniqueId('alice'));
    const bob = await system.userToken(uniqueId('bob'));
    const carol = await system.userToken(uniqueId('carol'));
    const productId = uniqueId('p');
    const saleId = uniqueId('s');
    const powSaleId = uniqueId('pow');
    const product = { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' };
    const sale = (id: string, challenge: 'none' | 'pow') => ({
      saleId: id,
      productId,
      stock: 2,
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      perUserLimit: 1,
      reservationSeconds: 300,
      challenge,
    });

    // Operators: products and sales.
    expect((await api.call('PUT', '/products/{productId}', { productId }, { token: operator, body: product })).status).toBe(201);
    expect((await api.call('PUT', '/products/{productId}', { productId }, { token: operator, body: product })).status).toBe(200);
    expect((await api.call('PUT', '/products/{productId}', { productId }, { token: operator, body: { name: '' } })).status).toBe(400);
    expect((await api.call('PUT', '/products/{productId}', { productId }, { body: product })).status).toBe(401);
    expect((await api.call('PUT', '/products/{productId}', { productId }, { token: alice, body: product })).status).toBe(403);
    expect((await api.call('POST', '/sales', {}, { token: operator, body: sale(saleId, 'none') })).status).toBe(201);
    expect((await api.call('POST', '/sales', {}, { token: operator, body: sale(powSaleId, 'pow') })).status).toBe(201);
    expect((await api.call('POST', '/sales', {}, { token: operator, body: sale(saleId, 'none') })).status).toBe(409);
    expect((await api.call('POST', '/sales', {}, { token: operator, body: { saleId } })).status).toBe(400);

    // Storefront: the sale, the challenge.
    expect((await api.call('GET', '/sales/{saleId}', { saleId }, { token: alice })).status).toBe(200);
    expect((await api.call('GET', '/sales/{saleId}', { saleId: 'never-scheduled' }, { token: alice })).status).toBe(404);
    expect((await api.call('GET', '/sales/{saleId}', { saleId: 'x'.repeat(65) }, { token: alice })).status).toBe(400);
    expect((await api.call('GET', '/sales/{saleId}', { saleId })).status).toBe(401);
    expect((await api.call('GET', '/sales/{saleId}', { saleId }, { token: operator })).status).toBe(403);
    expect((await api.call('GET', '/sales/{saleId}/challenge', { saleId: powSaleId }, { token: alice })).status).toBe(200);
    expect((await api.call('GET', '/sales/{saleId}/challenge', { saleId: 'never-scheduled' }, { token: alice })).status).toBe(404);

    // Entries, and what the edge cannot read.
    const enter = async (token: string, id = saleId) =>
      (await api.call('POST', '/sales/{saleId}/entries', { saleId: id }, { token })).body as { transactionId: string };
    const [a, b, c, powEntry] = await Promise.all([enter(alice), enter(bob), enter(carol), enter(alice, powSaleId)]);
    expect((await api.call('POST', '/sales/{saleId}/entries', { saleId: 'never-scheduled' }, { token: alice })).status).toBe(404);
    expect((await api.call('POST', '/sales/{saleId}/entries', { saleId }, { token: alice, body: { x: 1 } })).status).toBe(400);
    const huge = JSON.stringify({ pad: 'x'.repeat(20_000) });
    expect((await api.call('POST', '/sales/{saleId}/entries', { saleId }, { token: alice, raw: huge })).status).toBe(413);
    const zstd = { 'content-encoding': 'zstd' };
    expect((await api.call('POST', '/sales/{saleId}/entries', { saleId }, { token: alice, raw: '{}', headers: zstd })).status).toBe(415);

    // Claims: granted, sold out, a challenge unsolved, someone else's transaction, a bad body.
    const claim = (id: string, token: string, transactionId: string, headers: Record<string, string> = { prefer: 'wait=5' }) =>
      api.call('POST', '/sales/{saleId}/claims', { saleId: id }, { token, body: { transactionId, quantity: 1 }, headers });
    expect((await claim(saleId, alice, a.transactionId)).status).toBe(201);
    expect([201, 202]).toContain((await claim(saleId, bob, b.transactionId, {})).status);
    await waitFor(async () => (await claim(saleId, bob, b.transactionId)).status === 201, { what: "bob's grant" });
    expect((await claim(saleId, carol, c.transactionId)).status).toBe(409);
    expect((await claim(powSaleId, alice, powEntry.transactionId)).status).toBe(403);
    expect((await claim(saleId, carol, a.transactionId)).status).toBe(404);
    const badClaim = await api.call(
      'POST',
      '/sales/{saleId}/claims',
      { saleId },
      { token: alice, body: { transactionId: 'nope', quantity: 0 } },
    );
    expect(badClaim.status).toBe(400);

    // Transactions and the way to the payment page.
    expect((await api.call('GET', '/transactions/{transactionId}', { transactionId: a.transactionId }, { token: alice })).status).toBe(200);
    expect((await api.call('GET', '/transactions/{transactionId}', { transactionId: crypto.randomUUID() }, { token: alice })).status).toBe(
      404,
    );
    expect((await api.call('GET', '/transactions/{transactionId}', { transactionId: 'nope' }, { token: alice })).status).toBe(400);
    const redirect = (token: string, transactionId: string) =>
      api.call('POST', '/transactions/{transactionId}/redirect', { transactionId }, { token });
    expect((await redirect(alice, a.transactionId)).status).toBe(303);
    expect((await redirect(carol, c.transactionId)).status).toBe(409);
    expect((await redirect(alice, crypto.randomUUID())).status).toBe(404);

    // Partners: a payment, its redelivery, a bad signature, a bad body, a burst beyond the limit.
    const webhook = (opts: { raw: string; headers: Record<string, string> }) =>
      api.call('POST', '/partners/{partnerId}/webhooks', { partnerId: 'demo-pay' }, opts);
    const payment = {
      eventId: uniqueId('pay'),
      transactionId: a.transactionId,
      type: 'payment',
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      occurredAt: new Date().toISOString(),
    };
    expect((await webhook(signed(payment))).status).toBe(200);
    expect(((await webhook(signed(payment))).body as { duplicate: boolean }).duplicate).toBe(true);
    expect((await webhook(signed(payment, 'not-the-secret'))).status).toBe(401);
    expect((await webhook(signed({ ...payment, type: 'gift' }))).status).toBe(400);
    const burst = await Promise.all(Array.from({ length: 8 }, () => webhook(signed({ ...payment, eventId: uniqueId('burst') }))));
    expect(burst.map((r) => r.status)).toContain(429);
    await waitFor(
      async () => {
        const view = await api.call('GET', '/transactions/{transactionId}', { transactionId: a.transactionId }, { token: alice });
        return (view.body as { status: string }).status === 'paid';
      },
      { what: 'the transaction paid' },
    );

    // Operators: the report (and its refusals), closing.
    const report = (id: string, query = '') =>
      api.call('GET', '/reconciliation/sales/{saleId}', { saleId: id }, { token: operator, query });
    await waitFor(async () => (await report(saleId)).status === 200, { what: 'the report' });
    expect((await report('never-scheduled')).status).toBe(404);
    expect((await report(saleId, '?limit=0')).status).toBe(400);
    expect((await api.call('POST', '/sales/{saleId}/close', { saleId }, { token: operator })).status).toBe(200);
    expect((await api.call('POST', '/sales/{saleId}/close', { saleId: 'never-scheduled' }, { token: operator })).status).toBe(404);
  });

  it('resolves a planted mismatch, takes a settlement file once, and serves the dashboard and its stream', async () => {
    const operator = await system.operatorToken();
    const dave = await system.userToken(uniqueId('dave'));
    const productId = uniqueId('p');
    const saleId = uniqueId('s');
    const product = { name: 'Limited hoodie', partnerId: 'demo-pay', priceMinor: 4999, currency: 'EUR' };
    expect((await api.call('PUT', '/products/{productId}', { productId }, { token: operator, body: product })).status).toBe(201);
    const sale = {
      saleId,
      productId,
      stock: 1,
      startsAt: new Date(Date.now() - 1000).toISOString(),
      endsAt: new Date(Date.now() + 3600_000).toISOString(),
      perUserLimit: 1,
      reservationSeconds: 300,
      challenge: 'none',
    };
    expect((await api.call('POST', '/sales', {}, { token: operator, body: sale })).status).toBe(201);
    const { transactionId } = (await api.call('POST', '/sales/{saleId}/entries', { saleId }, { token: dave })).body as {
      transactionId: string;
    };
    const claimed = await api.call(
      'POST',
      '/sales/{saleId}/claims',
      { saleId },
      { token: dave, body: { transactionId, quantity: 1 }, headers: { prefer: 'wait=5' } },
    );
    expect(claimed.status).toBe(201);

    // Planted: the partner reports a payment of the wrong amount (the partner limit is 3 a second: 429s are retried).
    const payment = { eventId: uniqueId('pay'), transactionId, type: 'payment', quantity: 1, amountMinor: 1, currency: 'EUR' };
    const paid = { ...payment, occurredAt: new Date().toISOString() };
    await api.untilNot429(() => api.call('POST', '/partners/{partnerId}/webhooks', { partnerId: 'demo-pay' }, signed(paid)), 200);
    const report = (query = '') => api.call('GET', '/reconciliation/sales/{saleId}', { saleId }, { token: operator, query });
    type Report = { mismatches: { id: string; kind: string; transactionId: string }[] };
    const planted = await waitFor(
      async () => {
        const r = await report();
        return (
          r.status === 200 && (r.body as Report).mismatches.find((m) => m.kind === 'amount_mismatch' && m.transactionId === transactionId)
        );
      },
      { what: 'the amount mismatch flagged' },
    );

    // Resolution: written off; again, a 409 with its reason; an unknown mismatch, a bad action, no token.
    const resolve = (mismatchId: string, body: unknown, token = operator) =>
      api.call('POST', '/reconciliation/mismatches/{mismatchId}/resolution', { mismatchId }, { token, body });
    const resolved = await resolve(planted.id, { action: 'write_off', note: 'test: a cent is not worth a refund' });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ id: planted.id, saleId, status: 'resolved', resolution: { action: 'write_off' } });
    const again = await resolve(planted.id, { action: 'write_off' });
    expect(again.status).toBe(409);
    expect(['resolution_in_progress', 'already_resolved']).toContain((again.body as { details: { reason: string } }).details.reason);
    expect((await resolve(`mismatch:amount_mismatch:${crypto.randomUUID()}`, { action: 'accept' })).status).toBe(404);
    expect((await resolve(planted.id, { action: 'forgive' })).status).toBe(400);
    expect((await resolve(planted.id, { action: 'accept' }, '')).status).toBe(401);
    await waitFor(async () => ((await report('?status=resolved')).body as Report).mismatches.some((m) => m.id === planted.id), {
      what: 'the resolution folded into the report',
    });

    // Settlement file: the payment as the partner settled it, twice (recorded once), then unsigned and malformed.
    const csv = `eventId,transactionId,type,quantity,amountMinor,currency,occurredAt\n${Object.values(paid).join(',')}\n`;
    const settle = (raw: string, secret = DEV_PARTNER_SECRET) =>
      api.call(
        'POST',
        '/partners/{partnerId}/settlements',
        { partnerId: 'demo-pay' },
        { raw, headers: { 'content-type': 'text/csv', 'flashsale-signature': signWebhook(secret, raw) } },
      );
    const first = await api.untilNot429(() => settle(csv), 202);
    const second = await api.untilNot429(() => settle(csv), 200);
    expect(second.body).toEqual({ settlementId: (first.body as { settlementId: string }).settlementId, duplicate: true });
    expect((await settle(csv, 'not-the-secret')).status).toBe(401);
    await api.untilNot429(() => settle(`${csv}not,a,row\n`), 400);
    await waitFor(
      async () => {
        const r = await report();
        return (r.body as { settlements: unknown[] }).settlements.length === 1;
      },
      { what: 'the settlement in the report' },
    );

    // Dashboard: the page (anyone), the stream (operators only) and its first snapshot.
    expect((await api.call('GET', '/dashboard', {})).status).toBe(200);
    expect((await api.call('GET', '/dashboard/stream', {})).status).toBe(401);
    expect((await api.call('GET', '/dashboard/stream', {}, { token: dave })).status).toBe(403);
    const snapshot = await api.firstSnapshot(operator);
    expect(snapshot.sales.map((s) => s.saleId)).toContain(saleId);
  });

  it('walked every described operation, and met 401, 403, 404, 409, 413, 415 and 429 on the way', () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    const walked = new Set([...api.seen].map((s) => s.replace(/ \d+$/, '')));
    expect(operations.filter((o) => !walked.has(o))).toEqual([]);
    const statuses = new Set([...api.seen].map((s) => Number(s.split(' ').at(-1))));
    for (const status of [400, 401, 403, 404, 409, 413, 415, 429]) expect(statuses).toContain(status);
  });
});
