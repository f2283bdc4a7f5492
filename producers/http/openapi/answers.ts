// The shapes of the API's answers, as zod schemas for the OpenAPI document (requests are
// described by the very schemas the routes validate with). The contract test checks every
// answer of the running system against these, so they cannot drift from what is served.
import { MISMATCH_STATUSES, RESOLUTION_ACTIONS } from '../../../domain/reconciliation/resolution.js';
import { eventSchemas } from '../../../schemas/events/index.js';
import { z } from './zod.js';

const isoTime = z.string().datetime().openapi({ description: 'ISO-8601 UTC', example: '2026-12-02T12:00:00.000Z' });
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/)
  .openapi({ description: 'ISO-4217', example: 'EUR' });
const minor = z.number().int().nonnegative().openapi({ description: 'integer minor units (cents)' });

export const errorAnswer = z
  .object({
    error: z.string().openapi({ description: 'what was wrong, for a person' }),
    details: z
      .union([z.array(z.object({ field: z.string(), message: z.string() })), z.record(z.unknown())])
      .optional()
      .openapi({ description: 'which field or header, and why; on a refused redirect, the transaction status' }),
  })
  .openapi('Error');

export const saleAnswer = z
  .object({
    saleId: z.string(),
    productId: z.string(),
    status: z.enum(['scheduled', 'open', 'sold_out', 'closed']),
    stockRemaining: z.number().int().nonnegative(),
    priceMinor: minor,
    currency,
    startsAt: isoTime,
    endsAt: isoTime,
    perUserLimit: z.number().int().positive(),
    maxOpenEntriesPerUser: z.number().int().positive().openapi({ description: "the sale's own cap, else MAX_OPEN_ENTRIES_PER_USER" }),
    challenge: z.enum(['pow', 'none']).openapi({ description: '`pow`: a claim needs a solved GET /sales/{saleId}/challenge' }),
    shards: z.number().int().positive().openapi({ description: 'the claims partitions the sale is decided on (1: one decision-maker)' }),
  })
  .strict()
  .openapi('Sale');

export const entryAnswer = z.object({ transactionId: z.string().uuid() }).strict().openapi('Entry');

export const challengeAnswer = z
  .object({
    algorithm: z.literal('SHA-256'),
    challenge: z.string(),
    maxnumber: z.number().int().positive(),
    salt: z.string(),
    signature: z.string(),
  })
  .strict()
  .openapi('Challenge', { description: 'An ALTCHA challenge (altcha.org): any ALTCHA client solves it' });

export const claimPending = z
  .object({ transactionId: z.string().uuid(), status: z.literal('pending') })
  .strict()
  .openapi('ClaimPending');

export const claimGranted = z
  .object({
    transactionId: z.string().uuid(),
    status: z.literal('granted'),
    slotId: z.string(),
    slotIds: z.array(z.string()),
    expiresAt: isoTime,
    quantity: z.number().int().positive(),
    amountMinor: minor,
    currency,
  })
  .strict()
  .openapi('ClaimGranted');

export const claimRejected = z
  .object({
    transactionId: z.string().uuid(),
    status: z.literal('rejected'),
    reason: z.enum(['sold_out', 'limit_exceeded', 'sale_not_open', 'duplicate']),
  })
  .strict()
  .openapi('ClaimRejected');

export const transactionAnswer = z
  .object({
    transactionId: z.string().uuid(),
    saleId: z.string(),
    userId: z.string(),
    status: z.enum(['entered', 'pending', 'granted', 'rejected', 'redirected', 'paid', 'expired', 'refunded']),
    reason: z.string().optional().openapi({ description: 'why it was rejected (sold_out, ...) or expired' }),
    slotId: z.string().optional(),
    slotIds: z.array(z.string()).optional(),
    expiresAt: isoTime.optional(),
    quantity: z.number().int().nonnegative(),
    amountMinor: minor.nullable(),
    currency: currency.nullable(),
    history: z.array(z.object({ type: z.string(), at: isoTime }).strict()),
  })
  .strict()
  .openapi('Transaction');

export const redirectAnswer = z.object({ transactionId: z.string().uuid(), location: z.string().url() }).strict().openapi('Redirect');

export const webhookAnswer = z.object({ eventId: z.string(), duplicate: z.boolean() }).strict().openapi('WebhookReceipt');

export const productAnswer = z
  .object({ productId: z.string(), name: z.string(), partnerId: z.string(), priceMinor: minor, currency })
  .strict()
  .openapi('Product');

export const saleWarming = z
  .object({ saleId: z.string(), warmed: z.literal(false), message: z.string() })
  .strict()
  .openapi('SaleWarming', { description: 'scheduled (on Kafka), its slot queue still being warmed' });

export const saleClosing = z
  .object({ saleId: z.string(), closed: z.literal(false), message: z.string() })
  .strict()
  .openapi('SaleClosing', { description: 'closed on Kafka, not yet applied by the projection' });

const mismatchKinds = eventSchemas.MismatchFlagged.fields.find((f) => f.name === 'kind')!.type as { symbols: readonly string[] };
const mismatchKind = z.enum(mismatchKinds.symbols as [string, ...string[]]);
const figures = z.object({ quantity: z.number().int(), amountMinor: z.number().int(), currency: z.string() }).strict().nullable();
const mismatchStatus = z
  .enum(MISMATCH_STATUSES)
  .openapi({ description: '`resolving`: a refund asked of the partner, not yet reported back by its webhook' });

export const resolutionAnswer = z
  .object({
    action: z.enum(RESOLUTION_ACTIONS),
    note: z.string().nullable(),
    by: z.string().openapi({ description: "the operator (the token's `sub`)" }),
    at: isoTime,
  })
  .strict()
  .openapi('Resolution');

const mismatchFields = {
  id: z.string().openapi({ description: '`mismatch:<kind>:<transactionId>[:...]`', example: 'mismatch:amount_mismatch:0b6f...' }),
  transactionId: z.string(),
  kind: mismatchKind,
  expected: figures,
  actual: figures,
  detectedAt: isoTime,
  status: mismatchStatus,
  resolution: resolutionAnswer.nullable().openapi({ description: 'asked for (`resolving`) or made (`resolved`); null while open' }),
};

export const mismatchAnswer = z
  .object({ ...mismatchFields, saleId: z.string().nullable().openapi({ description: 'null for a transaction never granted' }) })
  .strict()
  .openapi('Mismatch');

const count = z.number().int().nonnegative();

export const settlementRunAnswer = z
  .object({
    settlementId: z.string(),
    source: z.enum(['http', 'inbox', 'cli']),
    name: z.string().nullable().openapi({ description: "the inbox file's name; null for a POSTed file" }),
    receivedAt: isoTime,
    coversUntil: isoTime.nullable().openapi({ description: 'the latest occurredAt of its rows' }),
    rows: count,
    rowsOfSale: count,
    findings: count.openapi({ description: "mismatches the file raised about this sale's transactions" }),
  })
  .strict()
  .openapi('SettlementRun');

export const reconciliationAnswer = z
  .object({
    internal: z
      .object({
        granted: count,
        refused: count.openapi({ description: 'claims refused, at the edge or by the decision-maker' }),
        redirected: count,
        expired: count,
        quantity: count,
        amountMinor: minor,
      })
      .strict(),
    partner: z.object({ paid: count, refunded: count, quantity: count, amountMinor: minor }).strict(),
    mismatches: z.array(z.object(mismatchFields).strict()),
    mismatchCounts: z
      .object({ open: count, resolving: count, resolved: count })
      .strict()
      .openapi({ description: "the sale's every mismatch by status, whatever the page or filter" }),
    money: z
      .object({
        paid: z.number().int(),
        kept: z.number().int(),
        refunded: z.number().int(),
        writtenOff: z.number().int(),
        open: z.number().int(),
        balanced: z.boolean().openapi({ description: 'nothing open, and paid = kept + refunded + writtenOff' }),
      })
      .strict()
      .openapi({ description: "where every payment the partner took ended, in the sale's minor units" }),
    settlements: z
      .array(settlementRunAnswer)
      .openapi({ description: "the partner's settlement files that concerned the sale, oldest first" }),
    nextCursor: z.string().nullable().openapi({ description: 'pass as `cursor` for the next page; null on the last' }),
  })
  .strict()
  .openapi('ReconciliationReport');

/** Why a resolution was refused (409), each a reason an operator can act on. */
export const RESOLUTION_CONFLICTS = [
  'already_resolving',
  'already_resolved',
  'resolution_in_progress',
  'nothing_to_refund',
  'already_refunded',
  'no_unit_free',
  'not_released',
] as const;

export const resolutionConflict = z
  .object({ error: z.string(), details: z.object({ reason: z.enum(RESOLUTION_CONFLICTS) }).strict() })
  .strict()
  .openapi('ResolutionConflict', { description: 'nothing changed; `reason` says why' });

export const settlementAnswer = z
  .object({
    settlementId: z.string(),
    duplicate: z.boolean().openapi({ description: 'true: the same bytes were taken in before, under this id' }),
  })
  .strict()
  .openapi('SettlementReceipt');

const epochMs = z.number().int().openapi({ description: 'epoch milliseconds' });

export const dashboardSnapshot = z
  .object({
    at: epochMs,
    following: z.boolean().openapi({ description: 'false until the stream follows the topics; the rates count from then' }),
    sales: z.array(
      z
        .object({
          saleId: z.string(),
          status: z.string(),
          stockRemaining: z.number().int(),
          startsAt: epochMs,
          endsAt: epochMs,
          claimsPerSecond: z.number().nonnegative(),
          decisionsPerSecond: z.number().nonnegative(),
          claimToDecisionMsP99: z.number().nonnegative().nullable(),
          granted: count,
          rejected: count,
        })
        .passthrough()
        .openapi({
          description:
            "the contract's fields; the sale's other stored terms (productId, partnerId, priceMinor, currency, perUserLimit, " +
            'reservationSeconds, challenge) come along too, and a reader should ignore what it does not know',
        }),
    ),
    lags: z.array(z.object({ group: z.string(), topic: z.string(), partition: count, lag: z.number().int() }).strict()),
    deadLetters: count,
    mismatches: z.array(
      z
        .object({ mismatchId: z.string(), transactionId: z.string(), saleId: z.string().nullable(), kind: z.string(), detectedAt: epochMs })
        .strict(),
    ),
  })
  .strict()
  .openapi('DashboardSnapshot', { description: 'the data of each `snapshot` event of GET /dashboard/stream (one a second)' });

export const healthAnswer = z
  .object({ ok: z.literal(true) })
  .strict()
  .openapi('Health');

export const readinessAnswer = z
  .object({ ready: z.boolean(), parts: z.record(z.union([z.boolean(), z.string()])) })
  .strict()
  .openapi('Readiness', { description: 'each part: true, false, or why it is not ready' });
