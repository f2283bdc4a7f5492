// Resolving a mismatch, for the operators' route and `flashsale reconcile resolve`: load the
// mismatch (stream flag or settlement-file finding), its status and the payment behind it,
// decide (domain/reconciliation/resolution.ts), and publish the step on the reconciliation
// topic. The reconciliation role folds it into the mismatch's status.
//
// Where the atomic check lives: the fold keeps the first resolution of a mismatch and ignores
// any later one, so two operators can never both resolve it. Only so that the second hears
// 409 rather than a 200 that changes nothing, a Redis key (SET NX, ten minutes) marks a
// resolution as published until the fold has it; a failed publish removes the key again.
import type { Figures, MismatchKind } from '../../domain/reconciliation/mismatch.js';
import {
  decideResolution,
  type MismatchCase,
  type MismatchStatus,
  type ResolutionAction,
  type ResolutionEvent,
} from '../../domain/reconciliation/resolution.js';
import type { EventPublisher, PublishOptions } from '../../platform/kafka/publisher.js';
import type { Db } from '../../platform/postgres.js';
import { keyPrefix, type Redis } from '../../platform/redis.js';
import type { Resolution } from '../../projections/reconciliation/report.js';
import type { LateAcceptance } from '../../writeModel/lateAcceptance.js';

const IN_FLIGHT_MS = 10 * 60_000;
const UNDEFINED_TABLE = '42P01';

/** The mismatch as the route answers it: the report's shape. */
export type MismatchView = {
  id: string;
  transactionId: string;
  saleId: string | null;
  kind: MismatchKind;
  expected: Figures | null;
  actual: Figures | null;
  detectedAt: string;
  status: MismatchStatus;
  resolution: Resolution | null;
};

export type ResolveRefusal = { status: 404 | 409; code: string; message: string };
export type ResolveOutcome = { ok: true; mismatch: MismatchView } | { ok: false; refusal: ResolveRefusal };

/** Takes a unit for a late payment's shopper, atomically, and publishes it (writeModel/lateAcceptance.ts). */
export type UnitTaker = (
  c: { transactionId: string; paymentEventId: string; by: string },
  options?: PublishOptions,
) => Promise<LateAcceptance>;

type CaseRow = {
  mismatch_id: string;
  kind: MismatchKind;
  transaction_id: string;
  sale_id: string | null;
  partner_event_id: string | null;
  expected: Figures | null;
  actual: Figures | null;
  detected_at: Date;
  status: MismatchStatus | null;
  action: ResolutionAction | null;
  note: string | null;
  resolved_by: string | null;
  resolution_at: Date | null;
  payment_partner_id: string | null;
  payment_quantity: number | null;
  payment_amount_minor: string | null;
  payment_currency: string | null;
  refunded_by: string | null;
};

const caseSql = `
select m.*, r.status, r.action, r.note, r.resolved_by, coalesce(r.resolved_at, r.requested_at) as resolution_at,
  p.partner_id as payment_partner_id, p.quantity as payment_quantity, p.amount_minor as payment_amount_minor,
  p.currency as payment_currency,
  (select o.mismatch_id from reconciliation_resolutions o where o.payment_event_id = m.partner_event_id and o.action = 'refund'
    order by o.mismatch_id limit 1) as refunded_by
from (
  select mismatch_id, kind, transaction_id, sale_id, partner_event_id, expected, actual, detected_at
  from reconciliation_mismatches where mismatch_id = $1
  union all
  select mismatch_id, kind, transaction_id, sale_id, partner_event_id, expected, actual, detected_at
  from reconciliation_settlement_findings where mismatch_id = $1
) m
left join reconciliation_resolutions r on r.mismatch_id = m.mismatch_id
left join reconciliation_partner_events p on p.event_id = m.partner_event_id and p.kind = 'payment'
limit 1`;

function viewOf(row: CaseRow, status: MismatchStatus, resolution: Resolution | null): MismatchView {
  return {
    id: row.mismatch_id,
    transactionId: row.transaction_id,
    saleId: row.sale_id,
    kind: row.kind,
    expected: row.expected,
    actual: row.actual,
    detectedAt: row.detected_at.toISOString(),
    status,
    resolution,
  };
}

function caseOf(row: CaseRow): MismatchCase {
  const hasPayment = row.payment_partner_id !== null && row.partner_event_id !== null;
  return {
    mismatchId: row.mismatch_id,
    kind: row.kind,
    transactionId: row.transaction_id,
    saleId: row.sale_id,
    status: row.status ?? 'open',
    payment: hasPayment
      ? {
          eventId: row.partner_event_id!,
          partnerId: row.payment_partner_id!,
          figures: {
            quantity: row.payment_quantity ?? 0,
            amountMinor: Number(row.payment_amount_minor),
            currency: row.payment_currency ?? '',
          },
        }
      : null,
  };
}

async function loadCase(db: Db, mismatchId: string): Promise<CaseRow | undefined> {
  try {
    const { rows } = await db.query<CaseRow>(caseSql, [mismatchId]);
    return rows[0];
  } catch (err) {
    // The reconciliation role has never run against this database: no mismatch exists.
    if ((err as { code?: string }).code === UNDEFINED_TABLE) return undefined;
    throw err;
  }
}

/** Accepting a late payment: a unit for its shopper, or the refusal saying why not. */
async function giveUnit(
  takeUnit: UnitTaker,
  m: MismatchCase,
  row: Pick<CaseRow, 'partner_event_id'>,
  { by, requestId }: { by: string } & PublishOptions,
): Promise<ResolveRefusal | undefined> {
  const paymentEventId = row.partner_event_id ?? '';
  const taken = await takeUnit({ transactionId: m.transactionId, paymentEventId, by }, requestId ? { requestId } : {});
  if (taken === 'taken') return undefined;
  const message =
    taken === 'no_unit'
      ? `no unit of sale ${m.saleId} is free for the late payer of ${m.transactionId}: refund the payment or write it off`
      : `transaction ${m.transactionId} holds no released reservation to give a unit to`;
  return { status: 409, code: taken === 'no_unit' ? 'no_unit_free' : 'not_released', message };
}

function resolutionOf(events: readonly ResolutionEvent[]): { status: MismatchStatus; resolution: Resolution } {
  const e = events[0]!;
  const at = new Date(e.occurredAt).toISOString();
  return e.type === 'RefundRequested'
    ? { status: 'resolving', resolution: { action: 'refund', note: e.note, by: e.requestedBy, at } }
    : { status: 'resolved', resolution: { action: e.action, note: e.note, by: e.resolvedBy, at } };
}

export function createMismatchResolver({
  db,
  redis,
  publisher,
  topicPrefix,
  takeUnit,
  now = Date.now,
}: {
  db: Db;
  redis: Redis;
  publisher: Pick<EventPublisher, 'publish'>;
  topicPrefix: string;
  takeUnit: UnitTaker;
  now?: () => number;
}) {
  const inFlightKey = (mismatchId: string) => `${keyPrefix(topicPrefix)}resolution:${mismatchId}`;

  return async function resolve(
    mismatchId: string,
    command: { action: ResolutionAction; note: string | null; by: string },
    /** Where the resolution was asked over HTTP, that request's id for the records it publishes. */
    options: PublishOptions = {},
  ): Promise<ResolveOutcome> {
    const row = await loadCase(db, mismatchId);
    if (!row) return { ok: false, refusal: { status: 404, code: 'unknown_mismatch', message: `no mismatch ${mismatchId}` } };
    const m = caseOf(row);
    if (command.action === 'refund' && row.refunded_by && row.refunded_by !== mismatchId)
      return {
        ok: false,
        refusal: {
          status: 409,
          code: 'already_refunded',
          message: `the payment ${row.partner_event_id} is already being refunded for mismatch ${row.refunded_by}; accept or write this one off`,
        },
      };
    const decision = decideResolution(m, { ...command, now: now() });
    if (!decision.ok) return { ok: false, refusal: { status: 409, ...decision.refusal } };

    const key = inFlightKey(mismatchId);
    if ((await redis.set(key, command.by, 'PX', IN_FLIGHT_MS, 'NX')) !== 'OK')
      return {
        ok: false,
        refusal: {
          status: 409,
          code: 'resolution_in_progress',
          message: `a resolution of mismatch ${mismatchId} is being recorded already`,
        },
      };
    try {
      const refusal = decision.takesUnit ? await giveUnit(takeUnit, m, row, { by: command.by, ...options }) : undefined;
      if (refusal) {
        await redis.del(key);
        return { ok: false, refusal };
      }
      await publisher.publish(decision.events, options);
    } catch (err) {
      await redis.del(key).catch(() => undefined);
      throw err;
    }
    const after = resolutionOf(decision.events);
    return { ok: true, mismatch: viewOf(row, after.status, after.resolution) };
  };
}

export type MismatchResolver = ReturnType<typeof createMismatchResolver>;

/** The current view of one mismatch (for a repeated GET or a test); undefined when unknown. */
export async function readMismatch(db: Db, mismatchId: string): Promise<MismatchView | undefined> {
  const row = await loadCase(db, mismatchId);
  if (!row) return undefined;
  const resolution =
    row.action && row.resolved_by && row.resolution_at
      ? { action: row.action, note: row.note, by: row.resolved_by, at: row.resolution_at.toISOString() }
      : null;
  return viewOf(row, row.status ?? 'open', resolution);
}
