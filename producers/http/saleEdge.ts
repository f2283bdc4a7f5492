// Wires the sale-facing HTTP edge: the operators' product and sale routes and the
// storefront's sale, entry, challenge, claim and redirect routes, sharing one token
// verifier, one set of rate limits and the Redis flash-sale store.
import type { Router } from 'express';
import type { Registry } from 'prom-client';
import type { Config } from '../../platform/config.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import type { Logger } from '../../platform/log.js';
import type { Db } from '../../platform/postgres.js';
import type { Redis } from '../../platform/redis.js';
import { createTokenVerifier } from './auth.js';
import { createProductsRouter } from './operators/productsRouter.js';
import { createOperatorSalesRouter } from './operators/salesRouter.js';
import { publisherAtEdge } from './publishAtEdge.js';
import type { RateLimits } from './rateLimit.js';
import { createChallengeService } from './storefront/challenge.js';
import { createClaimMetrics } from './storefront/claimMetrics.js';
import { createClaimsRouter } from './storefront/claimsRouter.js';
import { createRefusalRecorder } from './storefront/refusalRecorder.js';
import { createRedirectRouter } from './storefront/redirectRouter.js';
import { createStorefrontSalesRouter } from './storefront/salesRouter.js';
import { storeAtEdge, type SaleStorePort } from './storefront/saleStorePort.js';

export function createSaleEdgeRouters({
  config,
  log,
  db,
  redis,
  publisher: rawPublisher,
  metrics,
  store: rawStore,
  limits,
}: {
  config: Config;
  log: Logger;
  db: Db;
  redis: Redis;
  publisher: EventPublisher;
  metrics: Registry;
  store: SaleStorePort;
  /** Shared with the api's other routes: one IP's requests count in one window wherever they go. */
  limits: RateLimits;
}): { routers: Router[]; close(): Promise<void> } {
  const store = storeAtEdge(rawStore);
  // Refusals are recorded with the raw publisher: a failure is retried there, never a 503.
  const refusals = createRefusalRecorder({ publisher: rawPublisher, log, metrics });
  const publisher = publisherAtEdge(rawPublisher, log);
  const verify = createTokenVerifier(config);
  const challenges = createChallengeService({
    redis,
    topicPrefix: config.topicPrefix,
    authSecret: config.authSecret,
    maxNumber: config.challengeMaxNumber,
  });
  const common = { log, verify, limits };
  // The claim route first: it takes the crowd, and express tries routers in order.
  const routers = [
    createClaimsRouter({ ...common, store, publisher, challenges, refusals, metrics: createClaimMetrics(metrics) }),
    createProductsRouter({ db, verify, limits, knownPartners: new Set(config.partnerSecrets.keys()) }),
    createOperatorSalesRouter({ ...common, db, store, publisher, maxOpenEntriesPerUser: config.maxOpenEntriesPerUser }),
    createStorefrontSalesRouter({ ...common, store, publisher, challenges, maxOpenEntriesPerUser: config.maxOpenEntriesPerUser }),
    createRedirectRouter({
      ...common,
      store,
      publisher,
      paymentTokenKey: config.paymentTokenKey,
      paymentPageTemplate: config.paymentPageUrl,
    }),
  ];
  return { routers, close: () => refusals.close() };
}
