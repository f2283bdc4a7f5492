// POST /sales/:saleId/claims: a user asks for units of a sale under their TransactionID.
// Checks run cheapest and most final first: the transaction must be this user's in this
// sale (404); a transaction already decided answers its first decision; a sale that is sold
// out or not open is refused here without waiting on Kafka (the refusal becomes the
// transaction's decision in Redis, and its event is recorded in the background, batched, see
// refusalRecorder.ts); the proof of work must be
// solved where the sale asks for it (403). Only then is ClaimRequested published, the
// transaction marked pending, and (with `Prefer: wait=N`) the decision awaited.
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { EventPublisher } from '../../../platform/kafka/publisher.js';
import type { Logger } from '../../../platform/log.js';
import type { TokenVerifier } from '../auth.js';
import { requestIdOf } from '../accessLog.js';
import { principalOf } from '../authMiddleware.js';
import { envelope } from '../envelope.js';
import { badRequest, forbidden, HttpError, notFound } from '../errors.js';
import { saleParams, transactionId } from '../inputs.js';
import type { RateLimits } from '../rateLimit.js';
import { publishingFor } from '../publishAtEdge.js';
import { parse } from '../validate.js';
import type { ChallengeService } from './challenge.js';
import { decisionAnswer, edgeRefusal, parsePreferWait } from './claimAnswer.js';
import type { ClaimMetrics, ClaimOutcome } from './claimMetrics.js';
import type { Refusal, RefusalRecorder } from './refusalRecorder.js';
import type { SaleStorePort, SaleView } from './saleStorePort.js';
import { decisionEventId } from '../../../domain/claiming/decide.js';
import { shardOf } from '../../../domain/claiming/shards/shardOf.js';

const MAX_QUANTITY = 1000;

export const claimBody = z
  .object({
    transactionId,
    quantity: z.number().int().positive().max(MAX_QUANTITY),
    // Checked as a proof of work further on (403 when wrong); here only its JSON type.
    challengeSolution: z.union([z.string().max(4096), z.record(z.unknown())]).optional(),
  })
  .strict();

/** What a claim needs beyond the request: where transactions and sales are read, and where the claim is published. */
type ClaimDeps = {
  store: SaleStorePort;
  publisher: EventPublisher;
  challenges: ChallengeService;
  refusals: RefusalRecorder;
  log: Logger;
};

/** Records a claim's outcome in the metrics, once. */
type Done = (outcome: ClaimOutcome, reason?: string) => void;

/** One claim as it came in: the route's params, body and Prefer header as sent, the response, and its outcome recorder. */
type ClaimRequest = { params: unknown; rawBody: unknown; prefer: string | undefined; res: Response; done: Done };

export function createClaimsRouter({
  store,
  publisher,
  challenges,
  refusals,
  metrics,
  log,
  verify,
  limits,
}: {
  store: SaleStorePort;
  publisher: EventPublisher;
  challenges: ChallengeService;
  refusals: RefusalRecorder;
  metrics: ClaimMetrics;
  log: Logger;
  verify: TokenVerifier;
  limits: RateLimits;
}): Router {
  const router = Router();
  const deps: ClaimDeps = { store, publisher, challenges, refusals, log };

  router.post('/sales/:saleId/claims', limits.user(verify), async (req, res) => {
    const started = performance.now();
    let observed = false;
    const done: Done = (outcome, reason = '') => {
      observed = true;
      metrics.observe(outcome, reason, (performance.now() - started) / 1000);
    };
    try {
      await claim(deps, { params: req.params, rawBody: req.body, prefer: req.get('prefer'), res, done });
    } catch (err) {
      if (!observed) done('error', err instanceof HttpError ? String(err.status) : '500');
      throw err;
    }
  });

  return router;
}

async function claim(deps: ClaimDeps, { params, rawBody, prefer, res, done }: ClaimRequest): Promise<void> {
  const { saleId } = parse(saleParams, params);
  const body = parse(claimBody, rawBody);
  const wait = parsePreferWait(prefer);
  if (!wait.ok) throw badRequest('invalid request', [{ field: 'Prefer', message: wait.message }]);
  const userId = principalOf(res).userId;
  const txId = body.transactionId;

  const now = Date.now();
  // The sale comes with the transaction, in the same round trip, while the claim may be a first one.
  const { transaction: tx, decision: decided, sale } = await deps.store.readClaim(txId, saleId, now);
  if (!tx || tx.userId !== userId || tx.saleId !== saleId) throw notFound(`no transaction ${txId} of yours in sale ${saleId}`);
  if (decided) return answerDecision(res, txId, decided, done);

  if (tx.status === 'entered') {
    // What a first claim publishes carries this request's id (the records' request-id header).
    const requesting = { ...deps, publisher: publishingFor(deps.publisher, requestIdOf(res)) };
    if (!(await requestClaim(requesting, { saleId, userId, body, res, done, sale, now }))) return;
  }
  // Else the claim was requested before and is still undecided: nothing new to publish.

  if (wait.seconds > 0) {
    res.set('Preference-Applied', `wait=${wait.seconds}`);
    const decision = await deps.store.awaitDecision(txId, wait.seconds * 1000);
    if (decision) return answerDecision(res, txId, decision, done);
  }
  done('pending');
  res.status(202).location(`/transactions/${txId}`).json({ transactionId: txId, status: 'pending' });
}

/**
 * A first claim on an entered transaction: refused here (409, answered) when the sale is not
 * open or sold out, 403 when its challenge is unsolved; else ClaimRequested is published and
 * the transaction marked pending. False when the claim was refused and answered.
 */
async function requestClaim(
  { store, publisher, challenges, refusals, log }: ClaimDeps,
  {
    saleId,
    userId,
    body,
    res,
    done,
    sale,
    now,
  }: { saleId: string; userId: string; body: z.infer<typeof claimBody>; res: Response; done: Done; sale?: SaleView; now: number },
): Promise<boolean> {
  const txId = body.transactionId;
  if (!sale) throw notFound(`no sale ${saleId}`);
  const refusal = edgeRefusal(sale.status);
  if (refusal) {
    const event: Refusal = {
      type: 'ClaimRejected',
      eventId: decisionEventId(txId),
      occurredAt: now,
      correlationId: txId,
      causationId: null,
      transactionId: txId,
      saleId,
      userId,
      quantity: body.quantity,
      reason: refusal,
      decidedBy: 'edge',
    };
    // Lost only to a concurrent claim of the same transaction, which then answers for it.
    if (!(await store.refuseAtEdge(event))) return true;
    refusals.record(event, requestIdOf(res));
    done('refused_at_edge', refusal);
    res.status(409).json({ transactionId: txId, status: 'rejected', reason: refusal });
    return false;
  }
  if (sale.challenge === 'pow') {
    const check = await challenges.check(body.challengeSolution, saleId, userId, now);
    if (check !== 'ok') {
      done('challenge_failed', check);
      throw forbidden(`this sale asks for a solved challenge (GET /sales/${saleId}/challenge): ${check.replaceAll('_', ' ')}`);
    }
  }
  await publisher.publish([
    {
      type: 'ClaimRequested',
      ...envelope(txId, now),
      transactionId: txId,
      saleId,
      userId,
      quantity: body.quantity,
      // A shopper's claims always go to one shard's partition: their transactions, limit and
      // duplicates are then decided by one process, in order.
      shard: shardOf(userId, sale.shards),
    },
  ]);
  await store.markPending(txId, body.quantity);
  log.debug({ saleId, transactionId: txId, quantity: body.quantity }, 'claim requested');
  return true;
}

function answerDecision(res: Response, txId: string, decision: Parameters<typeof decisionAnswer>[1], done: Done): void {
  const answer = decisionAnswer(txId, decision);
  done(decision.status, decision.status === 'rejected' ? decision.reason : '');
  res.status(answer.status).json(answer.body);
}
