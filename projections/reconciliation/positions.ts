// Where the reconciliation projection stands on each partition of its topics: the offset after
// the last record applied (a redelivered record is skipped), the latest event time applied,
// and the idle clock's last look. Together they give the frontier that holds the live clock.
import type pg from 'pg';
import { type Db, fromEpochMs as ts } from '../../platform/postgres.js';
import { ms } from './store.js';

type Client = pg.PoolClient;

const upsertPositionsSql = `
insert into reconciliation_positions (topic, partition, next_offset, reached_at)
select topic, partition, next_offset, ${ts('reached_at')}
from jsonb_to_recordset($1::jsonb) as r(topic text, partition int, next_offset bigint, reached_at bigint)
on conflict (topic, partition) do update set
  next_offset = greatest(reconciliation_positions.next_offset, excluded.next_offset),
  reached_at = greatest(reconciliation_positions.reached_at, excluded.reached_at)`;

/** The offset after the last record applied from a partition, and the latest event time among the records applied. */
export type NextOffset = { topic: string; partition: number; next_offset: string; reached_at: number };

export async function loadPositions(client: Client, topics: readonly string[]): Promise<Map<string, bigint>> {
  const { rows } = await client.query<NextOffset>('select * from reconciliation_positions where topic = any($1::text[])', [topics]);
  return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next_offset)]));
}

/** Records how far the batch's partitions have been applied (in the batch's transaction, before its fold reads the frontier). */
export async function savePositions(client: Client, positions: readonly NextOffset[]): Promise<void> {
  if (positions.length) await client.query(upsertPositionsSql, [JSON.stringify(positions)]);
}

/**
 * The idle clock's look at every partition at `at`: read to its end, or still holding records.
 * A partition not seen before is recorded either way, so one with a backlog holds the frontier
 * back before its first record is applied.
 */
export async function noteReadToEnd(
  client: Client | Db,
  partitions: readonly { topic: string; partition: number; complete: boolean; high: string }[],
  at: number,
): Promise<void> {
  if (partitions.length === 0) return;
  await client.query(
    `insert into reconciliation_positions (topic, partition, next_offset, read_to_end_at, unread_until)
     select topic, partition, 0, case when complete then ${ts('$2::bigint')} end, case when not complete then high end
     from jsonb_to_recordset($1::jsonb) as r(topic text, partition int, complete boolean, high bigint)
     on conflict (topic, partition) do update set
       read_to_end_at = greatest(reconciliation_positions.read_to_end_at, excluded.read_to_end_at),
       unread_until = excluded.unread_until`,
    [JSON.stringify(partitions), at],
  );
}

/**
 * How far event time may move now without passing a deadline that an unread record could
 * still meet. What a held partner event waits for (a grant, a payment) comes before it in
 * event time, so the clock may run up to one grace period past the time every partition has
 * been applied up to. A partition is applied up to the latest time read from it, or, if the
 * idle clock saw it read to its end at T, up to T less the in-flight allowance; a look fresher
 * than grace less allowance bounds nothing (whatever comes later is late by less than grace,
 * as between any two topics), unless a later look found records to read that are not all
 * applied yet. A partition with
 * nothing known holds the clock where it is; no partition at all leaves it free. Also the
 * latest event time applied from any partition: how far the events alone would move the clock.
 */
export async function loadFrontier(
  client: Client,
  { now, graceMs, allowanceMs }: { now: number; graceMs: number; allowanceMs: number },
): Promise<{ bound: number; reached: number }> {
  // Behind: the latest look found records to read, and they are not all applied yet.
  const { rows } = await client.query<{ reached_at: Date | null; read_to_end_at: Date | null; behind: boolean }>(
    'select reached_at, read_to_end_at, coalesce(next_offset < unread_until, false) as behind from reconciliation_positions',
  );
  let bound = Number.POSITIVE_INFINITY;
  let reached = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    reached = Math.max(reached, ms(r.reached_at) ?? -Infinity);
    const lookedAt = ms(r.read_to_end_at);
    if (!r.behind && lookedAt !== null && now - lookedAt < graceMs - allowanceMs) continue;
    const appliedUpTo = Math.max(ms(r.reached_at) ?? -Infinity, lookedAt === null ? -Infinity : lookedAt - allowanceMs);
    bound = Math.min(bound, appliedUpTo + graceMs);
  }
  return { bound, reached };
}
