// PostgreSQL stopped: the product and reconciliation routes answer 503 with Retry-After, not
// 500; started again, they answer. The system runs against a cluster of this test's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnPostgres, type OwnPostgres } from '../../support/faults/ownPostgres.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { client, uniqueId, type Call } from '../storefront/storefrontClient.js';

let pg: OwnPostgres;
let system: TestSystem;
let call: Call;
let operator: string;

beforeAll(async () => {
  pg = await startOwnPostgres();
  system = await startTestSystem('pg-away', ['api'], { DATABASE_URL: pg.databaseUrl });
  call = client(system);
  operator = await system.operatorToken();
});
afterAll(async () => {
  await system?.stop().catch(() => undefined);
  await pg?.destroy();
});

const product = { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' };
const putProduct = () => call('PUT', `/products/${uniqueId('p')}`, { token: operator, body: product });
const reconciliation = () => call('GET', `/reconciliation/sales/${uniqueId('s')}`, { token: operator });

describe('PostgreSQL stopped and started', () => {
  it('answers 503 with Retry-After while it is away, and serves again once it is back', async () => {
    expect((await putProduct()).status).toBe(201);
    await pg.stop('immediate');

    for (const [what, answer] of [
      ['product', await putProduct()],
      ['reconciliation', await reconciliation()],
    ] as const) {
      expect({ what, status: answer.status }).toEqual({ what, status: 503 });
      expect(answer.headers.get('retry-after'), what).toMatch(/^\d+$/);
    }

    await pg.start();
    await waitFor(async () => (await putProduct()).status === 201, { timeoutMs: 30_000, what: 'PUT /products to answer 201 again' });
    expect([200, 404]).toContain((await reconciliation()).status);
  });
});
