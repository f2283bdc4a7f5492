// A test system for the claiming tests that drive claims and payments straight onto the
// topics: started before the file's tests with the roles it names (without `expiry`, a test
// runs its own expiry worker), its store, and its keys cleaned after the system stopped.
import crypto from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { keyPrefix } from '../../platform/redis.js';
import type { Role } from '../../runtime/system.js';
import type { EventOf } from '../../schemas/events/index.js';
import { createSaleStore, type SaleStore } from '../../writeModel/saleStore.js';
import { claimOf } from './claimStorm.js';
import { cleanPrefixAt } from './redisPrefix.js';
import { startTestSystem, type TestSystem } from './system.js';

export type ClaimingSystem = {
  readonly system: TestSystem;
  readonly store: SaleStore;
  /** A claim published as the edge would, and its decision (undefined if none came in 30 s). */
  claim(saleId: string, userId: string): Promise<{ transactionId: string; decision: Awaited<ReturnType<SaleStore['awaitDecision']>> }>;
};

export function useClaimingSystem(label: string, roles: readonly Role[]): ClaimingSystem {
  let system: TestSystem | undefined;
  let store: SaleStore | undefined;
  beforeAll(async () => {
    system = await startTestSystem(label, roles);
    store = createSaleStore({ redis: system.platform.redis, topicPrefix: system.prefix });
  });
  afterAll(async () => {
    await store?.close();
    await system?.stop();
    if (system) await cleanPrefixAt(system.platform.config.redisUrl, keyPrefix(system.prefix));
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('the test system is not started (used outside a test?)');
    return v;
  };
  return {
    get system() {
      return started(system);
    },
    get store() {
      return started(store);
    },
    async claim(saleId, userId) {
      const event = claimOf(saleId, userId);
      await started(system).platform.publisher.publish([event]);
      return { transactionId: event.transactionId, decision: await started(store).awaitDecision(event.transactionId, 30_000) };
    },
  };
}

/** The demo partner's report of a payment of one unit for the transaction. */
export function paymentOf(transactionId: string, partnerEventId: string = crypto.randomUUID()): EventOf<'PartnerPaymentReported'> {
  return {
    type: 'PartnerPaymentReported',
    eventId: `demo-pay:${partnerEventId}`,
    occurredAt: Date.now(),
    correlationId: transactionId,
    causationId: null,
    partnerId: 'demo-pay',
    partnerEventId,
    transactionId,
    quantity: 1,
    amountMinor: 1999,
    currency: 'EUR',
    reportedAt: Date.now(),
  };
}
