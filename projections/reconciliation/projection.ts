// The reconciliation projection: the pure join (domain/reconciliation) over a slice of state
// kept in Postgres. One database transaction per batch: lock the clock (one writer at a
// time, so the join sees every earlier batch), skip positions already applied (a redelivered
// batch changes nothing), load what the batch touches, fold, write back, record new flags
// once by their deterministic id. The same code serves the live consumer and a replay.
//
// Live, the consumer reads its partitions at different paces (after a restart or an outage
// one topic's backlog can be applied well before another's), so the clock is held to the
// frontier (positions.ts, loadFrontier): a grace period past the time every partition is known to
// be applied up to. A payment's grace then never runs out while the grant that answers it
// waits unread on another partition. A replay merges its topics in time order instead
// (runtime/replay/timeMerge.ts) and leaves the frontier off.
import type { Mismatch } from '../../domain/reconciliation/mismatch.js';
import { advanceWatermark, reconcile } from '../../domain/reconciliation/reconcile.js';
import type { Reconciled } from '../../domain/reconciliation/working.js';
import { toMismatchFlagged } from '../../domain/reconciliation/mismatch.js';
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import { type Db, inTransaction } from '../../platform/postgres.js';
import { migrateReconciliationSchema } from './schema.js';
import { loadFrontier, loadPositions, type NextOffset, noteReadToEnd, savePositions } from './positions.js';
import { applyResolutions } from './resolutions.js';
import { insertOutboxSql, loadState, lockClock, saveState } from './store.js';
import { IN_FLIGHT_ALLOWANCE_MS } from './subscription.js';
import type pg from 'pg';
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';

/** Our default for RECONCILIATION_GRACE_SECONDS; a replay must use the live value to get the live answer. */
export const DEFAULT_GRACE_MS = 60_000;

export type ApplyOutcome = {
  /** Records in the batch. */
  events: number;
  /** Of those, how many had not been applied before. */
  applied: number;
  /** Mismatches recorded for the first time. */
  flagged: Mismatch[];
  /** Requested refunds the partner's refund closed in this batch. */
  resolved: EventOf<'MismatchResolved'>[];
};

export type ReconciliationProjection = {
  migrate(): Promise<void>;
  applyBatch(batch: readonly Delivered[]): Promise<ApplyOutcome>;
  /**
   * Moves event time to `to` without an event, judging held partner events whose grace has
   * run out: the live consumer's clock once it has caught up, a replay's at its end. Live,
   * also as far as the events applied allow now that the frontier may have moved (any `to`,
   * -Infinity included). Returns undefined when the clock was already there.
   */
  advanceClock(to: number): Promise<Mismatch[] | undefined>;
  /** The idle clock's look at each partition at `at`: read to its end, or still holding records. */
  noteReadToEnd(partitions: readonly { topic: string; partition: number; complete: boolean; high: string }[], at: number): Promise<void>;
};

/** Writes the fold's state and its new flags, queued for publishing too (live only). */
async function saveFlags(client: pg.PoolClient, out: Reconciled, outbox: boolean): Promise<Mismatch[]> {
  const recorded = await saveState(client, out);
  if (outbox && recorded.length)
    await client.query(insertOutboxSql, [
      JSON.stringify(recorded.map((m) => ({ mismatch_id: m.mismatchId, event: toMismatchFlagged(m) }))),
    ]);
  return recorded;
}

/** Folds the batch's resolution steps; the refunds they closed are queued for publishing too (live only). */
async function resolveSteps(
  client: pg.PoolClient,
  events: readonly FlashsaleEvent[],
  outbox: boolean,
): Promise<EventOf<'MismatchResolved'>[]> {
  const resolved = await applyResolutions(client, events);
  if (outbox && resolved.length)
    await client.query(insertOutboxSql, [JSON.stringify(resolved.map((e) => ({ mismatch_id: e.eventId, event: e })))]);
  return resolved;
}

/** Per partition, the offset after the last record applied and the latest event time among them. */
function positionsAfter(fresh: readonly Delivered[]): NextOffset[] {
  const next = new Map<string, NextOffset>();
  for (const { position: p, event } of fresh) {
    const key = `${p.topic}:${p.partition}`;
    const offset = BigInt(p.offset) + 1n;
    const seen = next.get(key);
    next.set(key, {
      topic: p.topic,
      partition: p.partition,
      next_offset: (seen && BigInt(seen.next_offset) > offset ? BigInt(seen.next_offset) : offset).toString(),
      reached_at: Math.max(seen?.reached_at ?? Number.NEGATIVE_INFINITY, event.occurredAt),
    });
  }
  return [...next.values()];
}

/** What a batch's fold must load: its transactions, partners and sales, and the time its clock may reach. */
function touchedBy(events: readonly FlashsaleEvent[], watermark: number, bound: number) {
  let until = watermark;
  const transactionIds = new Set<string>();
  const partnerIds = new Set<string>();
  const saleIds = new Set<string>();
  for (const e of events) {
    until = Math.max(until, Math.min(e.occurredAt, bound));
    if ('transactionId' in e) transactionIds.add(e.transactionId);
    if ('partnerId' in e) partnerIds.add(e.partnerId);
    if ('saleId' in e && e.saleId !== null) saleIds.add(e.saleId);
  }
  return { until, transactionIds, partnerIds, saleIds };
}

export function createReconciliationProjection({
  db,
  graceMs = DEFAULT_GRACE_MS,
  outbox = false,
  frontier = false,
}: {
  db: Db;
  graceMs?: number;
  /** Queue new flags for publishing (the live consumer); a replay leaves this off. */
  outbox?: boolean;
  /** Hold the clock to the partitions' frontier (the live consumer); a replay, merged in time order, leaves this off. */
  frontier?: boolean;
}): ReconciliationProjection {
  const frontierOpts = () => ({ now: Date.now(), graceMs, allowanceMs: IN_FLIGHT_ALLOWANCE_MS });
  const save = (client: pg.PoolClient, out: Reconciled) => saveFlags(client, out, outbox);

  return {
    migrate: () => migrateReconciliationSchema(db),

    async applyBatch(batch) {
      if (batch.length === 0) return { events: 0, applied: 0, flagged: [], resolved: [] };
      return inTransaction(db, async (client) => {
        const watermark = await lockClock(client);
        const applied = await loadPositions(client, [...new Set(batch.map((d) => d.position.topic))]);
        const fresh = batch.filter((d) => BigInt(d.position.offset) >= (applied.get(`${d.position.topic}:${d.position.partition}`) ?? 0n));
        if (fresh.length === 0) return { events: batch.length, applied: 0, flagged: [], resolved: [] };

        await savePositions(client, positionsAfter(fresh));
        const bound = frontier ? (await loadFrontier(client, frontierOpts())).bound : Number.POSITIVE_INFINITY;
        const events = fresh.map((d) => d.event);
        const { until, transactionIds, partnerIds, saleIds } = touchedBy(events, watermark, bound);
        const state = await loadState(client, { watermark, transactionIds, partnerIds, saleIds, dueUntil: until - graceMs });
        const flagged = await save(client, reconcile(state, events, { graceMs, frontier: bound }));
        const resolved = await resolveSteps(client, events, outbox);
        return { events: batch.length, applied: fresh.length, flagged, resolved };
      });
    },

    async advanceClock(until) {
      return inTransaction(db, async (client) => {
        const watermark = await lockClock(client);
        // Live, also as far as the events applied would have moved it had the frontier been where it is now.
        const front = frontier ? await loadFrontier(client, frontierOpts()) : undefined;
        const to = front ? Math.max(until, Math.min(front.reached, front.bound)) : until;
        if (to <= watermark) return undefined;
        const state = await loadState(client, { watermark, transactionIds: [], partnerIds: [], dueUntil: to - graceMs });
        return save(client, advanceWatermark(state, to, { graceMs }));
      });
    },

    noteReadToEnd: (partitions, at) => noteReadToEnd(db, partitions, at),
  };
}
