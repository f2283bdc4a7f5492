// The broker stopped: claims and entries answer 503 with Retry-After within the publish
// deadline, and nothing is marked pending for a claim Kafka did not acknowledge. The broker
// started again: claims flow, and every claim answered 202 is decided. The system runs
// against a single-node Kafka of this test's own (the registry and Redis are the shared ones).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import {
  claimsNotDecidedOnce,
  deadLetterCount,
  grantsBeyondStock,
  readSalesTopic,
  saleLedger,
  slotsGrantedTwice,
} from '../../support/faults/checkers.js';
import { startOwnKafka, type OwnKafka } from '../../support/faults/ownKafka.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';
import { client, scheduleSale, storeReady, type Call } from '../storefront/storefrontClient.js';

const PUBLISH_TIMEOUT_MS = 2_000;
const STOCK = 100;

let kafka: OwnKafka;
let system: TestSystem;
let store: SaleStore;
let call: Call;
let saleId: string;

beforeAll(async () => {
  kafka = await startOwnKafka();
  system = await startTestSystem('broker-away', ['api', 'claims', 'projections'], {
    KAFKA_BROKERS: kafka.brokers,
    PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
    RATE_LIMIT_USER_PER_SEC: '1000',
  });
  call = client(system);
  await storeReady(system);
  store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
  ({ saleId } = await scheduleSale(call, await system.operatorToken(), { stock: STOCK, perUserLimit: 5 }));
});
afterAll(async () => {
  await store?.close();
  await system?.stop().catch(() => undefined);
  await kafka?.remove();
});

async function enter(user: string): Promise<string> {
  const res = await call('POST', `/sales/${saleId}/entries`, { token: user });
  expect(res.status).toBe(201);
  return res.body.transactionId as string;
}

describe('the broker stopped and started', () => {
  it('answers 503 with Retry-After in bounded time while it is away, and decides every claim it accepted once back', async () => {
    const users = await Promise.all([1, 2, 3].map((n) => system.userToken(`shopper-${n}`)));
    const transactions = await Promise.all(users.map(enter));

    await kafka.stop();
    const refusals = await Promise.all(
      users.map(async (token, i) => {
        const started = performance.now();
        const claim = await call('POST', `/sales/${saleId}/claims`, { token, body: { transactionId: transactions[i], quantity: 1 } });
        return { claim, ms: performance.now() - started };
      }),
    );
    const started = performance.now();
    const entry = await call('POST', `/sales/${saleId}/entries`, { token: users[0] });
    const entryMs = performance.now() - started;
    console.info(
      `broker away: claims ${refusals.map((r) => `${r.claim.status} in ${Math.round(r.ms)} ms`).join(', ')}; entry ${entry.status} in ${Math.round(entryMs)} ms`,
    );
    for (const { claim, ms } of [...refusals, { claim: entry, ms: entryMs }]) {
      expect(claim.status).toBe(503);
      expect(claim.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(ms).toBeLessThan(PUBLISH_TIMEOUT_MS + 2_000);
    }
    for (const txId of transactions) expect((await store.readTransaction(txId))?.status).toBe('entered');

    await kafka.start();
    const accepted: string[] = [];
    for (const [i, txId] of transactions.entries()) {
      const answer = await waitFor(
        async () => {
          const res = await call('POST', `/sales/${saleId}/claims`, { token: users[i], body: { transactionId: txId, quantity: 1 } });
          return res.status === 503 ? undefined : res;
        },
        { timeoutMs: 90_000, intervalMs: 500, what: `claim ${txId} to be accepted again` },
      );
      expect([200, 202]).toContain(answer.status);
      if (answer.status === 202) accepted.push(txId);
    }
    for (const txId of accepted)
      await waitFor(() => store.readDecision(txId), { timeoutMs: 90_000, intervalMs: 250, what: `a decision on ${txId}` });

    // The promise, read from the topics: every claim answered 202 decided exactly once, never beyond stock, nothing dead-lettered.
    const ledger = saleLedger(await readSalesTopic({ ...system.platform, topicPrefix: system.prefix }), saleId);
    const violations = [...grantsBeyondStock(ledger, STOCK), ...slotsGrantedTwice(ledger), ...claimsNotDecidedOnce(ledger, accepted)];
    const deadLetters = await deadLetterCount(system.platform.kafka, system.prefix);
    console.info(`broker back: ${accepted.length} claims accepted, ${ledger.grants.length} grants, ${deadLetters} dead letters`);
    expect({ violations, deadLetters }).toEqual({ violations: [], deadLetters: 0 });
  });
});
