// PUT /products/:productId: an operator creates or replaces a product in the relational
// product database. 201 when new, 200 when replaced; the body echoes the product.
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../../platform/postgres.js';
import type { TokenVerifier } from '../auth.js';
import { amountMinor, catalogId, currency } from '../inputs.js';
import type { RateLimits } from '../rateLimit.js';
import { parse } from '../validate.js';
import { upsertProduct } from './catalogDb.js';

/** A product's body; `knownPartners` are those we hold a webhook secret for (PARTNER_SECRETS). */
export function productBody(knownPartners: ReadonlySet<string>) {
  return z
    .object({
      name: z.string().trim().min(1).max(200),
      partnerId: catalogId.refine((id) => knownPartners.has(id), 'unknown partner (not in PARTNER_SECRETS)'),
      priceMinor: amountMinor,
      currency,
    })
    .strict();
}

export const productParams = z.object({ productId: catalogId }).strict();

export function createProductsRouter({
  db,
  verify,
  limits,
  knownPartners,
}: {
  db: Db;
  verify: TokenVerifier;
  limits: RateLimits;
  /** Partners we hold a webhook secret for: a product sold through any other could never be reconciled. */
  knownPartners: ReadonlySet<string>;
}): Router {
  const body = productBody(knownPartners);
  const router = Router();
  // Counted per IP and per operator, as the other operator routes.
  router.put('/products/:productId', limits.operator(verify), async (req, res) => {
    const { productId } = parse(productParams, req.params);
    const product = { productId, ...parse(body, req.body) };
    const { created } = await upsertProduct(db, product);
    res.status(created ? 201 : 200).json(product);
  });
  return router;
}
