// The storefront's view of a sale and the way in: read the sale (from Redis only), enter it
// (which opens the TransactionID), and fetch the proof-of-work challenge for a claim.
import crypto from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import type { Logger } from '../../../platform/log.js';
import type { TokenVerifier } from '../auth.js';
import { requestIdOf } from '../accessLog.js';
import { principalOf } from '../authMiddleware.js';
import { envelope } from '../envelope.js';
import { conflict, notFound } from '../errors.js';
import { saleParams } from '../inputs.js';
import type { RateLimits } from '../rateLimit.js';
import { parse } from '../validate.js';
import type { ChallengeService } from './challenge.js';
import { saleBody } from './saleBody.js';
import type { SaleStorePort } from './saleStorePort.js';

/** An entry carries nothing but the sale in its path; an empty JSON object is accepted too. */
export const entryBody = z.object({}).strict().optional();

export function createStorefrontSalesRouter({
  store,
  publisher,
  challenges,
  log,
  verify,
  limits,
  maxOpenEntriesPerUser,
}: {
  store: SaleStorePort;
  publisher: EventPublisher;
  challenges: ChallengeService;
  log: Logger;
  verify: TokenVerifier;
  limits: RateLimits;
  /** Entries a user may hold in a sale without claiming (MAX_OPEN_ENTRIES_PER_USER) unless the sale sets its own: 409 beyond. */
  maxOpenEntriesPerUser: number;
}): Router {
  const router = Router();
  const guards = [limits.user(verify)];

  async function saleOr404(saleId: string, now: number) {
    const sale = await store.readSale(saleId, now);
    if (!sale) throw notFound(`no sale ${saleId}`);
    return sale;
  }

  router.get('/sales/:saleId', ...guards, async (req, res) => {
    const { saleId } = parse(saleParams, req.params);
    res.json(saleBody(await saleOr404(saleId, Date.now()), maxOpenEntriesPerUser));
  });

  router.post('/sales/:saleId/entries', ...guards, async (req, res) => {
    const { saleId } = parse(saleParams, req.params);
    parse(entryBody, req.body);
    const now = Date.now();
    const sale = await saleOr404(saleId, now);
    // Entering before the start is the waiting room; a sold-out sale may get slots back
    // when reservations lapse. Only a closed sale has nothing left to enter.
    if (sale.status === 'closed') throw conflict(`sale ${saleId} is closed`);
    const userId = principalOf(res).userId;
    const transactionId = crypto.randomUUID();
    // Counted before anything is written: each entry is a Kafka record kept for good. The
    // store applies the sale's own cap where it has one, this default otherwise.
    const reserved = await store.reserveEntry({
      saleId,
      userId,
      transactionId,
      defaultCap: maxOpenEntriesPerUser,
      now,
      saleEndsAt: sale.endsAt,
    });
    if (!reserved.ok)
      throw conflict(`${reserved.open} open entries of yours in sale ${saleId} already (at most ${reserved.cap}): claim with one of them`);
    const entry = { type: 'EntryRecorded', ...envelope(transactionId, now), transactionId, saleId, userId } as const;
    await publisher.publish([entry], { requestId: requestIdOf(res) });
    await store.recordEntry({ transactionId, saleId, userId });
    log.debug({ saleId, transactionId }, 'entry recorded');
    res.status(201).location(`/transactions/${transactionId}`).json({ transactionId });
  });

  router.get('/sales/:saleId/challenge', ...guards, async (req, res) => {
    const { saleId } = parse(saleParams, req.params);
    const now = Date.now();
    await saleOr404(saleId, now);
    // Never cached: every challenge is fresh and single-use.
    res.set('Cache-Control', 'no-store').json(await challenges.issue(saleId, principalOf(res).userId, now));
  });

  return router;
}
