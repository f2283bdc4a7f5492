// Reconciliation as a pure fold: our events (grants, redirects, releases) joined with the
// partner's (payments, refunds) by TransactionID; each disagreement is flagged once. See
// README.md beside this file for the semantics and the determinism argument.
import type { EventOf, EventType, FlashsaleEvent } from '../../schemas/events/index.js';
import { onClaimGranted, onDeadline, onPayment, onRedirect, onRefund, onReleased, onSaleScheduled, onSettled } from './rules.js';
import type { Mismatch } from './mismatch.js';
import { initialState, type ReconciliationState } from './state.js';
import { openWorking, type Reconciled, type Working } from './working.js';

export type ReconcileOptions = {
  /** How long, in event time, a partner event is held waiting for what would match it. */
  graceMs: number;
};

type Handler = (w: Working, event: FlashsaleEvent) => void;
const on = <T extends EventType>(handler: (w: Working, event: EventOf<T>) => void) => handler as unknown as Handler;

/**
 * The events joined, each with its rule. Every other event (claims, entries, closings, the
 * reconciliation topic's own flags and resolutions, folded beside the join in
 * projections/reconciliation/resolutions.ts) is not joined, but its time still moves the clock.
 */
const joined: Partial<Record<EventType, Handler>> = {
  SaleScheduled: on<'SaleScheduled'>(onSaleScheduled),
  ClaimGranted: on<'ClaimGranted'>(onClaimGranted),
  PaymentRedirectIssued: on<'PaymentRedirectIssued'>(onRedirect),
  ReservationReleased: on<'ReservationReleased'>(onReleased),
  ReservationSettled: on<'ReservationSettled'>(onSettled),
  PartnerPaymentReported: on<'PartnerPaymentReported'>(onPayment),
  PartnerRefundReported: on<'PartnerRefundReported'>(onRefund),
};

function apply(w: Working, event: FlashsaleEvent): void {
  joined[event.type]?.(w, event);
}

/** Moves event time forward and judges every held partner event whose grace has run out, in deadline order. */
function advance(w: Working, to: number): void {
  if (to > w.watermark) w.watermark = to;
  for (let due = w.nextDue(); due; due = w.nextDue()) onDeadline(w, due.tx, due.report, due.deadline);
}

/**
 * Applies events in the order given, one at a time: how they were batched makes no difference.
 * `frontier` bounds how far their times move the clock: a live consumer reads its partitions
 * at different paces, and a deadline past the frontier may still be met by a record it has not
 * read (projections/reconciliation/store.ts, loadFrontier). Omitted: nothing lags.
 */
export function reconcile(
  state: ReconciliationState,
  events: readonly FlashsaleEvent[],
  opts: ReconcileOptions & { frontier?: number },
): Reconciled {
  const w = openWorking(state, opts.graceMs);
  const frontier = opts.frontier ?? Number.POSITIVE_INFINITY;
  for (const event of events) {
    apply(w, event);
    advance(w, Math.min(event.occurredAt, frontier));
  }
  return w.close();
}

/**
 * Moves the clock without an event: what the live consumer does once it has caught up with
 * every partition (nothing older can still arrive), and what a replay does at its end.
 */
export function advanceWatermark(state: ReconciliationState, to: number, opts: ReconcileOptions): Reconciled {
  const w = openWorking(state, opts.graceMs);
  advance(w, to);
  return w.close();
}

/**
 * Reconciliation as a decider (emmett's Decider, as its specifications run it): the "command"
 * is the events arriving, the decision the mismatches they flag, and the state the fold of
 * the events before them. Events fold one at a time either way, so a history given at once
 * or event by event reaches the same state.
 */
export function reconciliationDecider(opts: ReconcileOptions) {
  return {
    decide: (arriving: readonly FlashsaleEvent[], state: ReconciliationState): Mismatch[] => reconcile(state, arriving, opts).flagged,
    evolve: (state: ReconciliationState, event: FlashsaleEvent): ReconciliationState => reconcile(state, [event], opts).state,
    initialState,
  };
}
