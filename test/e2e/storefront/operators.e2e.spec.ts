// Operators put products in the product database and schedule and close sales: over HTTP,
// against the running api, claims and projections roles on the real stack.
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../../producers/http/auth.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { client, storeReady, iso, scheduleSale, topicSize, uniqueId, type Call } from './storefrontClient.js';

let system: TestSystem;
let admin: Admin;
let call: Call;
let operator: string;
let user: string;

beforeAll(async () => {
  system = await startTestSystem('operators', ['api', 'claims', 'projections']);
  admin = system.platform.kafka.admin();
  await admin.connect();
  call = client(system);
  await storeReady(system);
  operator = await system.operatorToken();
  user = await system.userToken('shopper-1');
});
afterAll(async () => {
  await admin?.disconnect();
  await system?.stop();
});

const product = { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' };

async function productCount(productId: string): Promise<number> {
  const { rows } = await system.platform.db.query('select count(*)::int as n from products where product_id = $1', [productId]);
  return (rows[0] as { n: number }).n;
}

describe('PUT /products/:productId', () => {
  it('creates a product (201), then replaces it (200)', async () => {
    const id = uniqueId('p');
    const created = await call('PUT', `/products/${id}`, { token: operator, body: product });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ productId: id, ...product });
    const replaced = await call('PUT', `/products/${id}`, { token: operator, body: { ...product, priceMinor: 2499 } });
    expect(replaced.status).toBe(200);
    const { rows } = await system.platform.db.query('select price_minor from products where product_id = $1', [id]);
    expect(rows).toEqual([{ price_minor: '2499' }]);
  });

  it.each([
    ['a missing name', { ...product, name: undefined }, 'name'],
    ['an empty name', { ...product, name: '  ' }, 'name'],
    ['an unknown partner', { ...product, partnerId: 'nobody-pay' }, 'partnerId'],
    ['a fractional price', { ...product, priceMinor: 19.99 }, 'priceMinor'],
    ['a negative price', { ...product, priceMinor: -1 }, 'priceMinor'],
    ['a price given as a string', { ...product, priceMinor: '1999' }, 'priceMinor'],
    ['a lowercase currency', { ...product, currency: 'eur' }, 'currency'],
    ['an unknown field', { ...product, colour: 'red' }, '(body)'],
  ])('refuses %s with 400 naming the field and stores nothing', async (_what, body, field) => {
    const id = uniqueId('p');
    const res = await call('PUT', `/products/${id}`, { token: operator, body });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await productCount(id)).toBe(0);
  });

  it('refuses a malformed product id with 400', async () => {
    const res = await call('PUT', '/products/bad:id', { token: operator, body: product });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'productId' })]);
  });

  it('answers 401 without a valid token and 403 to a storefront user', async () => {
    const id = uniqueId('p');
    expect((await call('PUT', `/products/${id}`, { body: product })).status).toBe(401);
    const forged = await signUserToken('some-other-secret-entirely', 'operator-1', { operator: true });
    expect((await call('PUT', `/products/${id}`, { token: forged, body: product })).status).toBe(401);
    expect((await call('PUT', `/products/${id}`, { token: user, body: product })).status).toBe(403);
    expect(await productCount(id)).toBe(0);
  });
});

describe('POST /sales', () => {
  it('answers 201 once the stock is pre-warmed in Redis, with the price taken from the product', async () => {
    const { saleId, productId, answer } = await scheduleSale(call, operator, { stock: 7 });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ saleId, productId, status: 'open', stockRemaining: 7, priceMinor: 1999, currency: 'EUR' });
    const seen = await call('GET', `/sales/${saleId}`, { token: user });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ saleId, stockRemaining: 7, perUserLimit: 2, challenge: 'none' });
  });

  it('uses the price the operator gives over the product price', async () => {
    const { answer } = await scheduleSale(call, operator, { priceMinor: 999 });
    expect(answer.status).toBe(201);
    expect(answer.body.priceMinor).toBe(999);
  });

  it('shows a sale that starts later as scheduled', async () => {
    const { answer } = await scheduleSale(call, operator, { startsAt: iso(Date.now() + 600_000) });
    expect(answer.status).toBe(201);
    expect(answer.body.status).toBe('scheduled');
  });

  it('refuses a second sale with the same id with 409 and publishes nothing more', async () => {
    const { saleId, answer } = await scheduleSale(call, operator);
    expect(answer.status).toBe(201);
    const before = await topicSize(admin, system, 'sales');
    const again = await scheduleSale(call, operator, { saleId });
    expect(again.answer.status).toBe(409);
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });

  const now = Date.now();
  it.each([
    ['a malformed saleId', { saleId: 'has space' }, 'saleId'],
    ['a saleId with a colon', { saleId: 'a:b' }, 'saleId'],
    ['zero stock', { stock: 0 }, 'stock'],
    ['fractional stock', { stock: 1.5 }, 'stock'],
    ['a negative price', { priceMinor: -5 }, 'priceMinor'],
    ['a start that is not ISO-8601', { startsAt: 'tomorrow' }, 'startsAt'],
    ['an end as epoch ms', { endsAt: now + 3600_000 }, 'endsAt'],
    ['an end before the start', { startsAt: iso(now + 7200_000), endsAt: iso(now + 3600_000) }, 'endsAt'],
    ['an end in the past', { startsAt: iso(now - 7200_000), endsAt: iso(now - 3600_000) }, 'endsAt'],
    ['a zero per-user limit', { perUserLimit: 0 }, 'perUserLimit'],
    ['a negative reservation', { reservationSeconds: -1 }, 'reservationSeconds'],
    ['an unknown challenge kind', { challenge: 'captcha' }, 'challenge'],
  ])('refuses %s with 400 naming the field and publishes nothing', async (_what, override, field) => {
    const before = await topicSize(admin, system, 'sales');
    const { answer } = await scheduleSale(call, operator, override as unknown as Parameters<typeof scheduleSale>[2]);
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });

  it('refuses a sale of an unknown product with 400 on productId and publishes nothing', async () => {
    const before = await topicSize(admin, system, 'sales');
    const res = await call('POST', '/sales', {
      token: operator,
      body: {
        saleId: uniqueId('s'),
        productId: 'no-such-product',
        stock: 1,
        startsAt: iso(Date.now()),
        endsAt: iso(Date.now() + 60_000),
        perUserLimit: 1,
        reservationSeconds: 60,
        challenge: 'none',
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'productId' })]);
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });

  it('answers 403 to a storefront user and publishes nothing', async () => {
    const { productId } = await scheduleSale(call, operator);
    const before = await topicSize(admin, system, 'sales');
    const res = await call('POST', '/sales', {
      token: user,
      body: {
        saleId: uniqueId('s'),
        productId,
        stock: 1,
        startsAt: iso(Date.now()),
        endsAt: iso(Date.now() + 60_000),
        perUserLimit: 1,
        reservationSeconds: 60,
        challenge: 'none',
      },
    });
    expect(res.status).toBe(403);
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });
});

describe('POST /sales/:saleId/close', () => {
  it('closes an open sale early: it shows closed and refuses claims as not open', async () => {
    const { saleId } = await scheduleSale(call, operator);
    const closed = await call('POST', `/sales/${saleId}/close`, { token: operator });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    expect((await call('GET', `/sales/${saleId}`, { token: user })).body.status).toBe('closed');
    // Closing again changes nothing and publishes nothing.
    const before = await topicSize(admin, system, 'sales');
    expect((await call('POST', `/sales/${saleId}/close`, { token: operator })).status).toBe(200);
    expect(await topicSize(admin, system, 'sales')).toBe(before);
  });

  it('answers 404 for an unknown sale and 403 to a storefront user', async () => {
    const before = await topicSize(admin, system, 'sales');
    expect((await call('POST', '/sales/never-scheduled/close', { token: operator })).status).toBe(404);
    expect((await call('POST', '/sales/bad:id/close', { token: operator })).status).toBe(400);
    expect(await topicSize(admin, system, 'sales')).toBe(before);
    const { saleId } = await scheduleSale(call, operator);
    expect((await call('POST', `/sales/${saleId}/close`, { token: user })).status).toBe(403);
  });
});
