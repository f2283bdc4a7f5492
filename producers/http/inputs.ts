// The identifiers and values the sale routes accept, validated strictly at the edge: a
// malformed one is a 400 naming the field before anything is read or recorded.
import { z } from 'zod';

/** Sale and product ids: safe in Redis keys and slot ids (`<saleId>:<n>`), so no colon. */
export const catalogId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64');

/** TransactionIDs are random UUIDs (we mint them): anything else cannot be one of ours. */
export const transactionId = z.string().uuid();

export const currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO-4217 code such as EUR');

export const amountMinor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** ISO-8601 with a zone (Z or an offset), read as epoch ms. */
export const isoTime = z
  .string()
  .datetime({ offset: true, message: 'an ISO-8601 time with a zone, e.g. 2026-11-25T12:00:00Z' })
  .transform((s) => Date.parse(s));

export const saleParams = z.object({ saleId: catalogId }).strict();
export const transactionParams = z.object({ transactionId }).strict();
