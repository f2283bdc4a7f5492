// The `api` role: the HTTP edge (storefront, operators, partner webhooks) on PORT.
import type { Server } from 'node:http';
import { answerBeforeExpress, createHttpApp } from '../../producers/http/app.js';
import { createTokenVerifier } from '../../producers/http/auth.js';
import { createApiDocsRouter } from '../../producers/http/openapi/docsRouter.js';
import { createReconciliationRouter } from '../../producers/http/operators/reconciliation.js';
import { createMismatchResolver } from '../../producers/reconciliation/resolveMismatch.js';
import { createLateAcceptance } from '../../writeModel/lateAcceptance.js';
import { migrateCatalog } from '../../producers/http/operators/catalogDb.js';
import { createRateLimits, type RateLimits } from '../../producers/http/rateLimit.js';
import { createSaleEdgeRouters } from '../../producers/http/saleEdge.js';
import { createWebhookDedupe } from '../../producers/partners/webhookDedupe.js';
import { createPartnerWebhookRouter } from '../../producers/partners/webhookRouter.js';
import { createSettlementRouter } from '../../producers/partners/settlementRouter.js';
import { createMismatchOutbox } from '../../projections/reconciliation/outbox.js';
import { migrateReconciliationSchema } from '../../projections/reconciliation/schema.js';
import { createTransactionRouter } from '../../producers/transactions/transactionRouter.js';
import { createSaleStore } from '../../writeModel/saleStore.js';
import { createTransactionsProjection } from '../../projections/transactions/projection.js';
import { keyPrefix } from '../../platform/redis.js';
import type { Platform } from '../platform.js';
import { startDashboard } from '../dashboard.js';
import { createReadinessCheck } from '../readiness.js';
import type { RunningRole } from '../role.js';

/** Settlement files: streamed to a spool file, taken in once by content; their findings published from the outbox. */
async function settlementRoutes(platform: Platform, limits: RateLimits) {
  const { db, config, log } = platform;
  await migrateReconciliationSchema(db);
  const outbox = createMismatchOutbox({ db, publisher: platform.publisher });
  return createSettlementRouter({
    partnerSecrets: config.partnerSecrets,
    db,
    limits,
    log,
    maxBytes: config.settlements.maxBytes,
    afterIntake: async (options) => void (await outbox.drain(options)),
  });
}

/** Operators resolve mismatches; accepting a late payment takes a free unit in the Redis store. */
function mismatchResolution({ db, redis, publisher, config }: Platform) {
  const lateAcceptance = createLateAcceptance({ redis, publisher, topicPrefix: config.topicPrefix });
  const resolve = createMismatchResolver({
    db,
    redis,
    publisher,
    topicPrefix: config.topicPrefix,
    takeUnit: (a, options) => lateAcceptance.accept(a, options),
  });
  return { lateAcceptance, resolve };
}

export async function startApi(platform: Platform): Promise<RunningRole & { port: number }> {
  const { log, redis, db, metrics, config } = platform;
  // The API reads the transactions projection; its tables must exist even before the projections role ran.
  const transactions = createTransactionsProjection({ db });
  await transactions.migrate();
  // One set of windows for every route that reaches a store: an IP's requests count together wherever they go.
  const limits = createRateLimits({ redis, topicPrefix: config.topicPrefix, ...config.rateLimits });
  const partnerWebhooks = createPartnerWebhookRouter({
    partnerSecrets: config.partnerSecrets,
    publisher: platform.publisher,
    dedupe: createWebhookDedupe({ redis, keyPrefix: keyPrefix(config.topicPrefix) }),
    limits,
    log,
    metrics,
  });
  // Products and sales: the operators' catalog tables, then the sale routes over the Redis store.
  await migrateCatalog(db);
  const saleStore = createSaleStore({ redis, topicPrefix: config.topicPrefix });
  const saleEdge = createSaleEdgeRouters({ config, log, db, redis, publisher: platform.publisher, metrics, store: saleStore, limits });
  // One verifier for the api's own routes: one fetch of the identity provider's keys, one memory of tokens.
  const verifyToken = createTokenVerifier(config);
  // Transactions from the projection; until it has one, the Redis store's fresher view answers.
  const transactionQueries = createTransactionRouter({
    verifyToken,
    limits,
    readTransaction: (id) => transactions.read(id),
    readEarly: (id) => saleStore.readTransaction(id),
  });
  const dashboard = startDashboard(platform, { verify: verifyToken, limits, saleStore });
  const { lateAcceptance, resolve } = mismatchResolution(platform);
  const settlements = await settlementRoutes(platform, limits);
  const app = createHttpApp({
    streamRouters: [settlements],
    log,
    trustedProxies: config.trustedProxies,
    // The sale routers first (the claim route first of all): they take the crowd, and express
    // walks every router before the one that matches. No two routers share a path.
    routers: [
      ...saleEdge.routers,
      partnerWebhooks,
      transactionQueries,
      createReconciliationRouter({ db, verify: verifyToken, limits, resolve }),
      dashboard.router,
      createApiDocsRouter(),
    ],
    readiness: createReadinessCheck(platform),
  });
  // express 5 calls back with the error too (a taken port): the start must fail, not say it listens.
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, '0.0.0.0', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  answerBeforeExpress(server);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ port }, 'api listening');
  return {
    port,
    async stop() {
      // Dashboard streams never end by themselves: ended here, or server.close would wait on them.
      await dashboard.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Before the platform's publisher goes: the refusals still queued go on record.
      await saleEdge.close();
      await saleStore.close();
      await lateAcceptance.close();
    },
  };
}
