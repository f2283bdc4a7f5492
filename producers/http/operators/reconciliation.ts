// GET /reconciliation/sales/:saleId: the reconciliation report of one sale, for operators.
// Read from the reconciliation projection in Postgres; 404 until reconciliation has seen
// anything of the sale. The mismatch list comes in pages (`?limit=`, `?cursor=`).
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../../platform/postgres.js';
import { decodeMismatchCursor, readReconciliation } from '../../../projections/reconciliation/report.js';
import type { TokenVerifier } from '../auth.js';
import { notFound } from '../errors.js';
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
});

export function createReconciliationRouter({ db, verify, limits }: { db: Db; verify: TokenVerifier; limits: RateLimits }): Router {
  const router = Router();
  // Each report is several queries over a sale's every transaction: counted per IP and per operator.
  router.get('/reconciliation/sales/:saleId', limits.operator(verify), async (req, res) => {
    const { saleId } = parse(saleParams, req.params);
    const { limit, cursor } = parse(pageQuery, req.query);
    const view = await readReconciliation(db, saleId, { limit, ...(cursor ? { after: cursor } : {}) }).catch((err: { code?: string }) => {
      // The reconciliation role has never run against this database: it has seen nothing.
      if (err.code === UNDEFINED_TABLE) return undefined;
      throw err;
    });
    if (!view) throw notFound(`reconciliation has seen nothing of sale ${saleId}`);
    res.json(view.report);
  });
  return router;
}
