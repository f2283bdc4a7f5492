// Real-stack helpers for reconciliation tests: publish a scenario, wait until the
// reconciliation projection has applied every record on its topics, read what it flagged
// from Postgres and from the reconciliation topic.
import type { Kafka } from 'kafkajs';
import { reconciliationSubscription } from '../../projections/reconciliation/subscription.js';
import type { EventPublisher } from '../../platform/kafka/publisher.js';
import { readTopicRange } from '../../platform/kafka/topicReader.js';
import type { Db } from '../../platform/postgres.js';
import type { EventCodec } from '../../platform/registry/codec.js';
import type { EventOf, FlashsaleEvent } from '../../schemas/events/index.js';
import { topicName } from '../../schemas/topics.js';
import { waitFor } from './waitFor.js';

export async function publishInChunks(publisher: Pick<EventPublisher, 'publish'>, events: readonly FlashsaleEvent[], size = 500) {
  for (let i = 0; i < events.length; i += size) await publisher.publish(events.slice(i, i + size));
}

/** How many records of reconciliation's topics exist, and how many the projection has applied. */
export async function progress(kafka: Kafka, db: Db, prefix: string): Promise<{ total: number; applied: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let total = 0;
    let applied = 0;
    const { rows } = await db.query<{ topic: string; partition: number; next_offset: string }>('select * from reconciliation_positions');
    const at = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, Number(r.next_offset)]));
    for (const t of reconciliationSubscription.topics) {
      const topic = topicName(prefix, t);
      for (const p of await admin.fetchTopicOffsets(topic)) {
        total += Number(p.high);
        applied += at.get(`${topic}:${p.partition}`) ?? 0;
      }
    }
    return { total, applied };
  } finally {
    await admin.disconnect();
  }
}

export async function waitCaughtUp(kafka: Kafka, db: Db, prefix: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => {
      const p = await progress(kafka, db, prefix);
      return p.total > 0 && p.applied === p.total;
    },
    { timeoutMs, intervalMs: 200, what: 'reconciliation to apply every record of its topics' },
  );
}

export type FlagRow = {
  mismatch_id: string;
  kind: string;
  transaction_id: string;
  sale_id: string | null;
  partner_event_id: string | null;
};

export async function flagRows(db: Db): Promise<FlagRow[]> {
  const { rows } = await db.query<FlagRow>(
    'select mismatch_id, kind, transaction_id, sale_id, partner_event_id from reconciliation_mismatches order by mismatch_id',
  );
  return rows;
}

/** Every MismatchFlagged record on the reconciliation topic, duplicates included. */
export async function publishedFlags(kafka: Kafka, codec: EventCodec, prefix: string): Promise<EventOf<'MismatchFlagged'>[]> {
  const found: EventOf<'MismatchFlagged'>[] = [];
  await readTopicRange({
    kafka,
    codec,
    topicPrefix: prefix,
    topics: ['reconciliation'],
    onBatch: (batch) => {
      for (const d of batch) if (d.event.type === 'MismatchFlagged') found.push(d.event);
    },
  });
  return found;
}

/** An event far later in time than everything else: the clock moves past every grace period. */
export function laterSale(at: number, partnerId = 'demo-pay'): EventOf<'SaleScheduled'> {
  const saleId = `next-${at}`;
  return {
    type: 'SaleScheduled',
    eventId: `scheduled:${saleId}`,
    occurredAt: at,
    correlationId: saleId,
    causationId: null,
    saleId,
    productId: 'p-next',
    partnerId,
    stock: 1,
    priceMinor: 1,
    currency: 'EUR',
    startsAt: at + 60_000,
    endsAt: at + 120_000,
    perUserLimit: 1,
    reservationSeconds: 60,
    challenge: 'none',
    maxOpenEntriesPerUser: null,
    shards: 1,
  };
}

export const flagKey = (f: {
  kind: string;
  transactionId?: string;
  transaction_id?: string;
  partnerEventId?: string | null;
  partner_event_id?: string | null;
}) => `${f.kind} ${f.transactionId ?? f.transaction_id} ${f.partnerEventId ?? f.partner_event_id}`;

export function countByKind(items: readonly { kind: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const i of items) counts[i.kind] = (counts[i.kind] ?? 0) + 1;
  return counts;
}
