// GET /reconciliation/sales/:saleId: the reconciliation report of one sale, for operators.
// Read from the reconciliation projection in Postgres; 404 until reconciliation has seen
// anything of the sale. The mismatch list comes in pages (`?limit=`, `?cursor=`, `?status=`).
// POST /reconciliation/mismatches/:mismatchId/resolution: an operator resolves a mismatch
// (producers/reconciliation/resolveMismatch.ts); 200 with the mismatch as it now stands.
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../../platform/postgres.js';
import { decodeMismatchCursor, readReconciliation } from '../../../projections/reconciliation/report.js';
import { MISMATCH_STATUSES, RESOLUTION_ACTIONS } from '../../../domain/reconciliation/resolution.js';
import type { MismatchResolver } from '../../reconciliation/resolveMismatch.js';
import type { TokenVerifier } from '../auth.js';
import { requestIdOf } from '../accessLog.js';
import { principalOf } from '../authMiddleware.js';
import { conflict, notFound } from '../errors.js';
import type { RateLimits } from '../rateLimit.js';
import { saleParams } from '../inputs.js';
import { parse } from '../validate.js';

const UNDEFINED_TABLE = '42P01';

export const MISMATCH_PAGE_DEFAULT = 100;
export const MISMATCH_PAGE_MAX = 1000;

/** `?limit=` (1..1000, default 100) and `?cursor=` (the previous page's nextCursor). */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MISMATCH_PAGE_MAX).default(MISMATCH_PAGE_DEFAULT),
  cursor: z
    .string()
    .max(2000)
    .transform((text, ctx) => {
      const cursor = decodeMismatchCursor(text);
      if (!cursor) ctx.addIssue({ code: 'custom', message: 'not a cursor this API handed out' });
      return cursor;
    })
    .optional(),
  status: z.enum(MISMATCH_STATUSES).optional(),
});

/** A mismatch id as reconciliation makes them (`mismatch:<kind>:<transactionId>[:...]`). */
export const mismatchParams = z
  .object({
    mismatchId: z
      .string()
      .max(600)
      .regex(/^mismatch:[a-z_]+:/, 'a mismatch id, as the report lists it (mismatch:<kind>:...)'),
  })
  .strict();

export const resolutionBody = z
  .object({
    action: z.enum(RESOLUTION_ACTIONS),
    note: z.string().trim().max(1000).nullable().optional(),
  })
  .strict();

const figures = z.object({ quantity: z.number().int(), amountMinor: z.number().int(), currency: z.string() });

/** The answer of the resolution route: the mismatch as the report lists it, with its saleId. */
export const mismatchResponse = z.object({
  id: z.string(),
  transactionId: z.string(),
  saleId: z.string().nullable(),
  kind: z.string(),
  expected: figures.nullable(),
  actual: figures.nullable(),
  detectedAt: z.string(),
  status: z.enum(MISMATCH_STATUSES),
  resolution: z.object({ action: z.enum(RESOLUTION_ACTIONS), note: z.string().nullable(), by: z.string(), at: z.string() }).nullable(),
});

export function createReconciliationRouter({
  db,
  verify,
  limits,
  resolve,
}: {
  db: Db;
  verify: TokenVerifier;
  limits: RateLimits;
  resolve: MismatchResolver;
}): Router {
  const router = Router();
  // Each report is several queries over a sale's every transaction: counted per IP and per operator.
  router.get('/reconciliation/sales/:saleId', limits.operator(verify), async (req, res) => {
    const { saleId } = parse(saleParams, req.params);
    const { limit, cursor, status } = parse(pageQuery, req.query);
    const page = { limit, ...(cursor ? { after: cursor } : {}), ...(status ? { status } : {}) };
    const view = await readReconciliation(db, saleId, page).catch((err: { code?: string }) => {
      // The reconciliation role has never run against this database: it has seen nothing.
      if (err.code === UNDEFINED_TABLE) return undefined;
      throw err;
    });
    if (!view) throw notFound(`reconciliation has seen nothing of sale ${saleId}`);
    res.json(view.report);
  });

  router.post('/reconciliation/mismatches/:mismatchId/resolution', limits.operator(verify), async (req, res) => {
    const { mismatchId } = parse(mismatchParams, req.params);
    const { action, note } = parse(resolutionBody, req.body);
    const outcome = await resolve(mismatchId, { action, note: note || null, by: principalOf(res).userId }, { requestId: requestIdOf(res) });
    if (!outcome.ok) {
      const { status, code, message } = outcome.refusal;
      throw status === 404 ? notFound(message) : conflict(message, { reason: code });
    }
    res.status(200).json(mismatchResponse.parse(outcome.mismatch));
  });
  return router;
}
