// GET /transactions/:transactionId: a user's own transaction, read from the transactions
// projection. Someone else's transaction, or one only a partner spoke of, is a 404 (its
// existence is not revealed). The projection lags the topics by a moment; where the
// flash-sale store already knows the transaction, its fresher view answers meanwhile.
import { type Request, Router } from 'express';
import { isRetriable } from '../../platform/errors.js';
import type { TransactionView } from '../../domain/transactions/transaction.js';
import type { TokenVerifier } from '../http/auth.js';
import { principalOf } from '../http/authMiddleware.js';
import { notFound, unavailable } from '../http/errors.js';
import { transactionParams } from '../http/inputs.js';
import { parse } from '../http/validate.js';
import type { RateLimits } from '../http/rateLimit.js';

/** What the flash-sale store knows of a transaction before the projection has it. */
export type EarlyTransactionView = {
  transactionId: string;
  saleId: string;
  userId: string;
  status: string;
  quantity?: number;
  reason?: string;
  slotIds?: string[];
  /** Epoch ms. */
  expiresAt?: number;
  amountMinor?: number;
  currency?: string;
};

const iso = (ms: number) => new Date(ms).toISOString();

function fromProjection(v: TransactionView) {
  return {
    transactionId: v.transactionId,
    saleId: v.saleId,
    userId: v.userId,
    status: v.status,
    ...(v.reason === null ? {} : { reason: v.reason }),
    ...(v.slotIds.length === 0 ? {} : { slotId: v.slotIds[0], slotIds: v.slotIds }),
    ...(v.expiresAt === null ? {} : { expiresAt: iso(v.expiresAt) }),
    quantity: v.quantity,
    // The amount asked for; null until a grant (or a partner's payment) names one.
    amountMinor: v.expectedAmountMinor ?? (v.payments > 0 ? v.paidAmountMinor : null),
    currency: v.currency,
    history: v.history.map((h) => ({ type: h.type, at: iso(h.at) })),
  };
}

function fromStore(v: EarlyTransactionView) {
  return {
    transactionId: v.transactionId,
    saleId: v.saleId,
    userId: v.userId,
    status: v.status,
    ...(v.reason === undefined ? {} : { reason: v.reason }),
    ...(v.slotIds?.length ? { slotId: v.slotIds[0], slotIds: v.slotIds } : {}),
    ...(v.expiresAt === undefined ? {} : { expiresAt: iso(v.expiresAt) }),
    quantity: v.quantity ?? 0,
    amountMinor: v.amountMinor ?? null,
    currency: v.currency ?? null,
    history: [],
  };
}

export function createTransactionRouter({
  verifyToken,
  limits,
  readTransaction,
  readEarly,
}: {
  verifyToken: TokenVerifier;
  /** Each read reaches Postgres and maybe Redis: counted per user and per IP like the sale routes. */
  limits: RateLimits;
  readTransaction: (transactionId: string) => Promise<TransactionView | undefined>;
  readEarly?: (transactionId: string) => Promise<EarlyTransactionView | undefined>;
}): Router {
  const router = Router();
  router.get('/transactions/:transactionId', limits.user(verifyToken), async (req: Request<{ transactionId: string }>, res) => {
    const { userId } = principalOf(res);
    // A TransactionID is a UUID we minted: anything else is a 400 before a store is asked
    // (PostgreSQL refuses a NUL byte in a text parameter, which answered 500).
    const { transactionId } = parse(transactionParams, req.params);
    const projected = await readTransaction(transactionId);
    if (projected && projected.userId === userId) {
      res.json(fromProjection(projected));
      return;
    }
    // Not projected yet, or so far only the partner's events are (an owner-less row).
    const early = projected?.userId
      ? undefined
      : await readEarly?.(transactionId).catch((err: unknown) => {
          // The store is being rebuilt: say "retry shortly" rather than a 404 that may be false.
          if (isRetriable(err)) throw unavailable((err as Error).message);
          throw err;
        });
    if (!early || early.userId !== userId) throw notFound('no such transaction');
    res.json(fromStore(early));
  });
  return router;
}
