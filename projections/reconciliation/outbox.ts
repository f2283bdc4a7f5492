// Publishes recorded flags as MismatchFlagged. A flag is recorded in Postgres first (in the
// batch's transaction) with its event in the outbox, then published, then removed from the
// outbox: a crash in between leaves it in the outbox, never loses it. On start the consumer
// asks the topic which of those did get through (`pending`, `forget`) before publishing the
// rest, so a restart publishes nothing twice. Rows are locked while in flight, so two
// publishers (the role and the reconcile command) never send the same one at once.
import type { EventPublisher, PublishOptions } from '../../platform/kafka/publisher.js';
import { type Db, inTransaction } from '../../platform/postgres.js';
import type { EventOf } from '../../schemas/events/index.js';

export type MismatchOutbox = {
  /** Publishes everything waiting (`options`: from inside an HTTP request, its id); returns how many were published. */
  drain(options?: PublishOptions): Promise<number>;
  /** What waits: the ids, and the earliest event time among them (where to look for them on the topic). */
  pending(): Promise<{ ids: string[]; oldest: number | null }>;
  /** Removes entries known to be on the topic already; returns how many. */
  forget(ids: readonly string[]): Promise<number>;
};

const CHUNK = 500;

export function createMismatchOutbox({ db, publisher }: { db: Db; publisher: Pick<EventPublisher, 'publish'> }): MismatchOutbox {
  return {
    async drain(options = {}) {
      let total = 0;
      for (;;) {
        const published = await inTransaction(db, async (client) => {
          const { rows } = await client.query<{ mismatch_id: string; event: EventOf<'MismatchFlagged'> | EventOf<'MismatchResolved'> }>(
            'select mismatch_id, event from reconciliation_outbox order by mismatch_id limit $1 for update skip locked',
            [CHUNK],
          );
          if (rows.length === 0) return 0;
          await publisher.publish(
            rows.map((r) => r.event),
            options,
          );
          await client.query('delete from reconciliation_outbox where mismatch_id = any($1::text[])', [rows.map((r) => r.mismatch_id)]);
          return rows.length;
        });
        total += published;
        if (published < CHUNK) return total;
      }
    },

    async pending() {
      const { rows } = await db.query<{ mismatch_id: string; occurred_at: string }>(
        `select mismatch_id, event->>'occurredAt' as occurred_at from reconciliation_outbox`,
      );
      const times = rows.map((r) => Number(r.occurred_at));
      return { ids: rows.map((r) => r.mismatch_id), oldest: times.length ? Math.min(...times) : null };
    },

    async forget(ids) {
      if (ids.length === 0) return 0;
      const { rowCount } = await db.query('delete from reconciliation_outbox where mismatch_id = any($1::text[])', [ids]);
      return rowCount ?? 0;
    },
  };
}
