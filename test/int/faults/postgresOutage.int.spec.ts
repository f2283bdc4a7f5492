// Issue 14, fault 2: PostgreSQL down for 12 s as claims and payments arrive. The whole system
// runs as `flashsale start` does (every role, one process of its own) over the test's own
// PostgreSQL cluster; 60 shoppers are granted and sent to payment, then the partner's 60
// webhooks arrive, most of them while PostgreSQL is stopped, each redelivered until it is
// answered 2xx, and 20 more shoppers claim meanwhile. The promise: every acknowledged payment
// is in the transactions view and in the reconciliation report, every claim is decided once
// and in the view, nothing is dead-lettered, reconciliation flags nothing, and the process
// never crashes.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../../platform/postgres.js';
import { createRedis, keyPrefix, type Redis } from '../../../platform/redis.js';
import { signUserToken } from '../../../producers/http/auth.js';
import { signWebhook } from '../../../platform/webhookSignature.js';
import { createSaleStore, type SaleStore } from '../../../writeModel/saleStore.js';
import { claimOf } from '../../support/claimStorm.js';
import { saleScheduled } from '../../support/claimingFixtures.js';
import {
  claimsNotDecidedOnce,
  deadLetterCount,
  grantsBeyondStock,
  paymentsUnaccounted,
  readSalesTopic,
  saleLedger,
  slotsGrantedTwice,
  unplantedFlags,
} from '../../support/faults/checkers.js';
import { type OwnPostgres, startOwnPostgres } from '../../support/faults/ownPostgres.js';
import { type SystemChild, startSystemChild } from '../../support/faults/systemChild.js';
import { openTestStack, type TestStack } from '../../support/realStack.js';
import { cleanPrefixAt } from '../../support/redisPrefix.js';
import { waitFor } from '../../support/waitFor.js';

const SHOPPERS = 60;
const PAID_BEFORE_OUTAGE = 10;
const OUTAGE_MS = 12_000;
/** Shoppers who claim while PostgreSQL is down: decided in Redis, in the transactions view once it is back. */
const CLAIMING_DURING_OUTAGE = 20;
const PARTNER_SECRET = 'fault-test-partner-secret';

let pg: OwnPostgres;
let stack: TestStack;
let system: SystemChild;
let redis: Redis;
let store: SaleStore;
let db: Db;

beforeAll(async () => {
  pg = await startOwnPostgres();
  stack = await openTestStack('pgdown');
  system = await startSystemChild({
    TOPIC_PREFIX: stack.prefix,
    DATABASE_URL: pg.databaseUrl,
    PARTNER_SECRETS: `demo-pay:${PARTNER_SECRET}`,
    ROLES: 'api,claims,projections,reconciliation,expiry',
  });
  redis = createRedis(stack.config.redisUrl);
  store = createSaleStore({ redis, topicPrefix: stack.prefix });
  db = createDb(pg.databaseUrl);
});
afterAll(async () => {
  await system?.stop();
  await store?.close();
  redis?.disconnect();
  await db?.end();
  await stack?.close();
  await pg?.destroy();
  if (stack) await cleanPrefixAt(stack.config.redisUrl, keyPrefix(stack.prefix));
});

/** The partner's webhook for a paid transaction, redelivered until it is answered 2xx (as partners do). */
async function payUntilAcknowledged(transactionId: string, amountMinor: number): Promise<{ acknowledged: boolean; attempts: number }> {
  const raw = JSON.stringify({
    eventId: `pay-${crypto.randomUUID()}`,
    transactionId,
    type: 'payment',
    quantity: 1,
    amountMinor,
    currency: 'EUR',
    occurredAt: new Date().toISOString(),
  });
  for (let attempts = 1; ; attempts++) {
    const res = await fetch(`${system.baseUrl}/partners/demo-pay/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Flashsale-Signature': signWebhook(PARTNER_SECRET, raw) },
      body: raw,
    }).catch(() => undefined);
    if (res && res.status >= 200 && res.status < 300) return { acknowledged: true, attempts };
    // A process that has ended answers nobody: the partner would go on redelivering, the test stops here.
    if (system.ended() !== undefined || attempts >= 60) return { acknowledged: false, attempts };
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('PostgreSQL down while payments arrive', () => {
  it('accounts for every acknowledged payment in the view and the report, and never crashes', async () => {
    const now = Date.now();
    const sale = saleScheduled({
      saleId: `pgdown-${crypto.randomBytes(3).toString('hex')}`,
      occurredAt: now,
      startsAt: now - 1_000,
      endsAt: now + 3_600_000,
      stock: SHOPPERS + CLAIMING_DURING_OUTAGE,
      perUserLimit: 1,
      reservationSeconds: 900,
    });
    await stack.publisher.publish([sale]);
    await waitFor(() => store.readSale(sale.saleId, Date.now()), { timeoutMs: 60_000, what: 'the sale in the store' });

    // 60 shoppers granted, each sent to the payment page through the API (PaymentRedirectIssued on Kafka).
    const claims = Array.from({ length: SHOPPERS }, (_, i) => claimOf(sale.saleId, `payer-${i}`));
    await stack.publisher.publish(claims);
    const decisions = await Promise.all(claims.map((c) => store.awaitDecision(c.transactionId, 60_000)));
    expect(decisions.map((d) => d?.status)).toEqual(claims.map(() => 'granted'));
    for (const c of claims) {
      const token = await signUserToken(stack.config, c.userId);
      const res = await fetch(`${system.baseUrl}/transactions/${c.transactionId}/redirect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
    }

    // A few payments with PostgreSQL up, the rest while it is down; every one redelivered until acknowledged.
    const sent = claims.map((c) => c.transactionId);
    const amount = sale.priceMinor;
    const beforeOutage = [];
    for (const tx of sent.slice(0, PAID_BEFORE_OUTAGE)) beforeOutage.push(await payUntilAcknowledged(tx, amount));
    await pg.stop('fast');
    const downAt = Date.now();
    const lateClaims = Array.from({ length: CLAIMING_DURING_OUTAGE }, (_, i) => claimOf(sale.saleId, `late-${i}`));
    const [during] = await Promise.all([
      Promise.all(sent.slice(PAID_BEFORE_OUTAGE).map((tx) => payUntilAcknowledged(tx, amount))),
      stack.publisher.publish(lateClaims),
    ]);
    const answers = [...beforeOutage, ...during];
    const paid = sent.filter((_, i) => answers[i]?.acknowledged);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downAt)))); // the outage's length is the fault, not a synchronisation
    await pg.start();
    const outageMs = Date.now() - downAt;

    // Given time to catch up; the last reading is the verdict either way. Only acknowledged payments are owed.
    let last: Awaited<ReturnType<typeof paymentsUnaccounted>> | undefined;
    await waitFor(
      async () => {
        last = await paymentsUnaccounted(db, sale.saleId, paid);
        return last.violations.length === 0 || system.ended() !== undefined;
      },
      { timeoutMs: 45_000, intervalMs: 500, what: 'every payment accounted for' },
    ).catch(() => undefined);
    const lateIds = lateClaims.map((c) => c.transactionId);
    const lateInView = await waitFor(
      async () => {
        const r = await db.query<{ n: string }>('select count(*) as n from transactions where transaction_id = any($1)', [lateIds]);
        return Number(r.rows[0]?.n) === lateIds.length ? lateIds.length : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the claims made during the outage in the transactions view' },
    ).catch(() => 0);
    const ledger = saleLedger(await readSalesTopic({ ...stack, topicPrefix: stack.prefix }), sale.saleId);
    const promise = [
      ...grantsBeyondStock(ledger, SHOPPERS + CLAIMING_DURING_OUTAGE),
      ...slotsGrantedTwice(ledger),
      ...claimsNotDecidedOnce(ledger, [...sent, ...lateIds]),
      ...(await unplantedFlags(db, sale.saleId)),
    ];
    const deadLetters = await deadLetterCount(stack.kafka, stack.prefix);
    const ended = system.ended();
    const crash = ended ? system.stderr().split('\n').slice(-25).join('\n') : '';
    console.info(
      `postgres outage: down ${outageMs} ms; ${paid.length} of ${sent.length} payments acknowledged 2xx (${answers.filter((d) => d.acknowledged && d.attempts > 1).length} after redelivery); ` +
        `transactions view shows ${last?.viewPaid ?? '?'} paid and ${lateInView} of ${lateIds.length} claims made during the outage; ` +
        `reconciliation report counts ${last?.reportPaid ?? '?'}; ${deadLetters} dead letters; ` +
        `system process ${ended ? `ENDED (${ended.code ?? ended.signal}):\n${crash}` : 'still running'}`,
    );
    expect({
      processEnded: ended ?? null,
      acknowledged: paid.length,
      viewPaid: last?.viewPaid,
      reportPaid: last?.reportPaid,
      lateInView,
      deadLetters,
      unaccounted: (last?.violations ?? ['no reading']).slice(0, 5),
      promise: promise.slice(0, 5),
    }).toEqual({
      processEnded: null,
      acknowledged: SHOPPERS,
      viewPaid: SHOPPERS,
      reportPaid: SHOPPERS,
      lateInView: CLAIMING_DURING_OUTAGE,
      deadLetters: 0,
      unaccounted: [],
      promise: [],
    });
  });
});
