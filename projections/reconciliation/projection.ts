// The reconciliation projection: the pure join (domain/reconciliation) over a slice of state
// kept in Postgres. One database transaction per batch: lock the clock (one writer at a
// time, so the join sees every earlier batch), skip positions already applied (a redelivered
// batch changes nothing), load what the batch touches, fold, write back, record new flags
// once by their deterministic id. The same code serves the live consumer and a replay.
import type { Mismatch } from '../../domain/reconciliation/mismatch.js';
import { advanceWatermark, reconcile } from '../../domain/reconciliation/reconcile.js';
import type { Reconciled } from '../../domain/reconciliation/working.js';
import { toMismatchFlagged } from '../../domain/reconciliation/mismatch.js';
import type { Delivered } from '../../platform/kafka/consumerRunner.js';
import { type Db, inTransaction } from '../../platform/postgres.js';
import { migrateReconciliationSchema } from './schema.js';
import { applyResolutions } from './resolutions.js';
import { insertOutboxSql, loadPositions, loadState, lockClock, type NextOffset, saveState } from './store.js';
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
   * run out: the live consumer's clock once it has caught up, a replay's at its end.
   * Returns undefined when the clock was already there.
   */
  advanceClock(to: number): Promise<Mismatch[] | undefined>;
};

/** Writes the fold's state and its new flags, queued for publishing too (live only). */
async function saveFlags(client: pg.PoolClient, out: Reconciled, positions: NextOffset[], outbox: boolean): Promise<Mismatch[]> {
  const recorded = await saveState(client, out, positions);
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

export function createReconciliationProjection({
  db,
  graceMs = DEFAULT_GRACE_MS,
  outbox = false,
}: {
  db: Db;
  graceMs?: number;
  /** Queue new flags for publishing (the live consumer); a replay leaves this off. */
  outbox?: boolean;
}): ReconciliationProjection {
  const save = (client: pg.PoolClient, out: Reconciled, positions: NextOffset[]) => saveFlags(client, out, positions, outbox);

  return {
    migrate: () => migrateReconciliationSchema(db),

    async applyBatch(batch) {
      if (batch.length === 0) return { events: 0, applied: 0, flagged: [], resolved: [] };
      return inTransaction(db, async (client) => {
        const watermark = await lockClock(client);
        const applied = await loadPositions(client, [...new Set(batch.map((d) => d.position.topic))]);
        const fresh = batch.filter((d) => BigInt(d.position.offset) >= (applied.get(`${d.position.topic}:${d.position.partition}`) ?? 0n));
        if (fresh.length === 0) return { events: batch.length, applied: 0, flagged: [], resolved: [] };

        const events = fresh.map((d) => d.event);
        let until = watermark;
        const transactionIds = new Set<string>();
        const partnerIds = new Set<string>();
        const saleIds = new Set<string>();
        for (const e of events) {
          until = Math.max(until, e.occurredAt);
          if ('transactionId' in e) transactionIds.add(e.transactionId);
          if ('partnerId' in e) partnerIds.add(e.partnerId);
          if ('saleId' in e && e.saleId !== null) saleIds.add(e.saleId);
        }
        const state = await loadState(client, { watermark, transactionIds, partnerIds, saleIds, dueUntil: until - graceMs });
        const out = reconcile(state, events, { graceMs });

        const next = new Map<string, NextOffset>();
        for (const { position: p } of fresh) {
          const offset = (BigInt(p.offset) + 1n).toString();
          const key = `${p.topic}:${p.partition}`;
          if (!next.has(key) || BigInt(next.get(key)!.next_offset) < BigInt(offset))
            next.set(key, { topic: p.topic, partition: p.partition, next_offset: offset });
        }
        const flagged = await save(client, out, [...next.values()]);
        const resolved = await resolveSteps(client, events, outbox);
        return { events: batch.length, applied: fresh.length, flagged, resolved };
      });
    },

    async advanceClock(to) {
      return inTransaction(db, async (client) => {
        const watermark = await lockClock(client);
        if (to <= watermark) return undefined;
        const state = await loadState(client, { watermark, transactionIds: [], partnerIds: [], dueUntil: to - graceMs });
        return save(client, advanceWatermark(state, to, { graceMs }), []);
      });
    },
  };
}
