// Operators schedule and close sales. POST /sales checks the product, claims the saleId in
// PostgreSQL (a second POST of it: 409), publishes SaleScheduled and answers 201 once the
// inventory projection has pre-warmed the sale's slot queue in Redis, as the contract
// promises. If warming takes longer than WARM_DEADLINE_MS the event is already on Kafka and
// the sale will appear: 202 says so instead of pretending. Close works the same way.
import { Router, type Response } from 'express';
import { z } from 'zod';
import { OPEN_ENTRIES_CAP_MAX } from '../../../platform/config.js';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import { topicSpec } from '../../../schemas/topics.js';
import type { Logger } from '../../../platform/log.js';
import type { Db } from '../../../platform/postgres.js';
import type { TokenVerifier } from '../auth.js';
import { requestIdOf } from '../accessLog.js';
import { principalOf } from '../authMiddleware.js';
import { envelope } from '../envelope.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { amountMinor, catalogId, isoTime, saleParams } from '../inputs.js';
import type { RateLimits } from '../rateLimit.js';
import type { SaleStorePort, SaleView } from '../storefront/saleStorePort.js';
import { saleBody } from '../storefront/saleBody.js';
import { parse } from '../validate.js';
import { findProduct, isSaleRegistered, registerSale, unregisterSale } from './catalogDb.js';

export const WARM_DEADLINE_MS = 10_000;
const POLL_MS = 20;
const MAX_STOCK = 1_000_000;
const MAX_RESERVATION_SECONDS = 24 * 3600;
/** One shard per claims partition at most: two shards on one partition would be decided by one process anyway. */
const MAX_SHARDS = topicSpec('claims').partitions;

export const scheduleBody = z
  .object({
    saleId: catalogId,
    productId: catalogId,
    stock: z.number().int().positive().max(MAX_STOCK),
    priceMinor: amountMinor.optional(),
    startsAt: isoTime,
    endsAt: isoTime,
    perUserLimit: z.number().int().positive().max(MAX_STOCK),
    reservationSeconds: z.number().int().positive().max(MAX_RESERVATION_SECONDS),
    challenge: z.enum(['pow', 'none']).default('pow'),
    // The sale's own cap on open entries per user; left out, MAX_OPEN_ENTRIES_PER_USER applies.
    maxOpenEntriesPerUser: z.number().int().min(1).max(OPEN_ENTRIES_CAP_MAX).optional(),
    // A hot sale's claims spread over this many claims partitions, each decided by whoever owns it.
    shards: z.number().int().min(1).max(MAX_SHARDS).default(1),
  })
  .strict()
  .refine((b) => b.endsAt > b.startsAt, { path: ['endsAt'], message: 'must be after startsAt' })
  .refine((b) => b.endsAt > Date.now(), { path: ['endsAt'], message: 'must be in the future' });

/**
 * What the handlers use: the catalog in Postgres, the sale store in Redis, the publisher, and
 * the configured cap on open entries (MAX_OPEN_ENTRIES_PER_USER) the sale's view shows where
 * the sale has none of its own.
 */
type SalesDeps = { db: Db; store: SaleStorePort; publisher: EventPublisher; log: Logger; maxOpenEntriesPerUser: number };

export function createOperatorSalesRouter({
  db,
  store,
  publisher,
  log,
  verify,
  limits,
  maxOpenEntriesPerUser,
}: {
  db: Db;
  store: SaleStorePort;
  publisher: EventPublisher;
  log: Logger;
  verify: TokenVerifier;
  limits: RateLimits;
  maxOpenEntriesPerUser: number;
}): Router {
  const deps: SalesDeps = { db, store, publisher, log, maxOpenEntriesPerUser };
  const router = Router();
  // Counted per IP and per operator, as the other operator routes: generous, for scripts.
  const guards = [limits.operator(verify)];
  router.post('/sales', ...guards, (req, res) => scheduleSale(deps, req.body, res));
  router.post('/sales/:saleId/close', ...guards, (req, res) => closeSale(deps, req.params, res));
  return router;
}

/** Polls Redis (not a blind sleep) until the projection shows what we published, or the deadline. */
async function waitForSale(store: SaleStorePort, saleId: string, ready: (sale: SaleView) => boolean): Promise<SaleView | undefined> {
  const deadline = Date.now() + WARM_DEADLINE_MS;
  for (;;) {
    // A store mid-rebuild answers 503: not yet, as far as this wait is concerned.
    const sale = await store.readSale(saleId, Date.now()).catch(() => undefined);
    if (sale && ready(sale)) return sale;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** POST /sales */
async function scheduleSale({ db, store, publisher, log, maxOpenEntriesPerUser }: SalesDeps, body: unknown, res: Response): Promise<void> {
  const input = parse(scheduleBody, body);
  const operator = principalOf(res).userId;
  const product = await findProduct(db, input.productId);
  if (!product) throw badRequest('invalid request', [{ field: 'productId', message: 'no such product (PUT /products/:productId first)' }]);
  // A sale Redis already knows (say, rebuilt from the topic) counts as taken too.
  if (await store.readSale(input.saleId, Date.now())) throw conflict(`sale ${input.saleId} already exists`);
  if ((await registerSale(db, { saleId: input.saleId, productId: product.productId, scheduledBy: operator })) === 'taken') {
    throw conflict(`sale ${input.saleId} already exists`);
  }
  try {
    await publisher.publish(
      [
        {
          type: 'SaleScheduled',
          ...envelope(input.saleId),
          saleId: input.saleId,
          productId: product.productId,
          partnerId: product.partnerId,
          stock: input.stock,
          priceMinor: input.priceMinor ?? product.priceMinor,
          currency: product.currency,
          startsAt: input.startsAt,
          endsAt: input.endsAt,
          perUserLimit: input.perUserLimit,
          reservationSeconds: input.reservationSeconds,
          challenge: input.challenge,
          maxOpenEntriesPerUser: input.maxOpenEntriesPerUser ?? null,
          shards: input.shards,
        },
      ],
      { requestId: requestIdOf(res) },
    );
  } catch (err) {
    await unregisterSale(db, input.saleId);
    throw err;
  }
  log.info({ saleId: input.saleId, productId: product.productId, stock: input.stock, operator }, 'sale scheduled');
  const sale = await waitForSale(store, input.saleId, () => true);
  if (!sale) {
    res.status(202).json({ saleId: input.saleId, warmed: false, message: 'scheduled; the slot queue is still being warmed' });
    return;
  }
  res.status(201).location(`/sales/${input.saleId}`).json(saleBody(sale, maxOpenEntriesPerUser));
}

/** POST /sales/:saleId/close */
async function closeSale({ db, store, publisher, log, maxOpenEntriesPerUser }: SalesDeps, params: unknown, res: Response): Promise<void> {
  const { saleId } = parse(saleParams, params);
  const current = await store.readSale(saleId, Date.now());
  if (!current) {
    if (await isSaleRegistered(db, saleId)) throw conflict(`sale ${saleId} is not warmed yet; retry in a moment`);
    throw notFound(`no sale ${saleId}`);
  }
  if (current.status === 'closed') {
    res.status(200).json(saleBody(current, maxOpenEntriesPerUser));
    return;
  }
  await publisher.publish([{ type: 'SaleClosed', ...envelope(saleId), saleId, closedBy: principalOf(res).userId }], {
    requestId: requestIdOf(res),
  });
  log.info({ saleId, operator: principalOf(res).userId }, 'sale closed');
  const sale = await waitForSale(store, saleId, (s) => s.status === 'closed');
  if (!sale) {
    res.status(202).json({ saleId, closed: false, message: 'closing; the sale stops taking claims once the projection applies it' });
    return;
  }
  res.status(200).json(saleBody(sale, maxOpenEntriesPerUser));
}
