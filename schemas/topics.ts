// The topic catalog, in one place: every topic, its key, the events on it, and why.
// The key decides ordering: everything about one sale's inventory is keyed by saleId, so
// one decision-maker sees a sale's claims in order; everything carries its TransactionID
// in the value, which is what projections and reconciliation join on.
import type { EventOf, EventType, FlashsaleEvent } from './events/index.js';

export type TopicName = 'sales' | 'entries' | 'claims' | 'redirects' | 'partner-events' | 'reconciliation' | 'dead-letter';

export type TopicSpec = {
  name: TopicName;
  /** What the record key is; `keyOf` computes it. */
  key: string;
  events: readonly EventType[];
  partitions: number;
  /** Kafka retention.ms; -1 keeps forever (auditors replay from the beginning). */
  retentionMs: number;
  cleanupPolicy: 'delete' | 'compact';
  why: string;
};

const FOREVER = -1;
const PARTITIONS = 6;

export const topics: readonly TopicSpec[] = [
  {
    name: 'sales',
    key: 'saleId',
    events: [
      'SaleScheduled',
      'SaleClosed',
      'ClaimGranted',
      'ClaimRejected',
      'ReservationReleased',
      'ReservationSettled',
      'LatePaymentAccepted',
      'UnitsReturned',
    ],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why:
      "A sale's inventory history in decision order: the Redis slot queues are a fold over it, and rebuilding them replays it. " +
      'Claims the edge refused at once (ClaimRejected, decidedBy edge) join it in batches, after the refusal was decided in Redis.',
  },
  {
    name: 'entries',
    key: 'saleId',
    events: ['EntryRecorded'],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why: 'Each entry opens a TransactionID; kept for audits of who entered when.',
  },
  {
    name: 'claims',
    key: 'saleId',
    events: ['ClaimRequested', 'ClaimForwarded'],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why:
      "Keyed by sale so one decision-maker owns each sale's claims, in arrival order; a sale of K shards is on K consecutive partitions " +
      "(its key's and the next K-1), a shopper's claims always on one, so K decision-makers share a hot sale. A claim its shard " +
      'cannot serve is handed on (ClaimForwarded) to the partition of a shard that can.',
  },
  {
    name: 'redirects',
    key: 'saleId',
    events: ['PaymentRedirectIssued'],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why: "Who was sent to the partner's payment page, for how much, until when: reconciliation's 'expected' side.",
  },
  {
    name: 'partner-events',
    key: 'transactionId',
    events: ['PartnerPaymentReported', 'PartnerRefundReported'],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why: "The partner's payments and refunds as its webhooks reported them; keyed by the TransactionID the partner names, which may be unknown to us.",
  },
  {
    name: 'reconciliation',
    key: 'transactionId',
    events: ['MismatchFlagged', 'RefundRequested', 'MismatchResolved'],
    partitions: PARTITIONS,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why: 'Every mismatch reconciliation flagged, once each, and each step of its resolution (who, when, what), so a replay rebuilds its status.',
  },
  {
    name: 'dead-letter',
    key: 'the original key',
    events: [],
    partitions: 1,
    retentionMs: FOREVER,
    cleanupPolicy: 'delete',
    why: 'Records a consumer could not decode or handle after bounded retries: the original bytes, with the reason and origin in headers.',
  },
];

const topicOfEvent = new Map<EventType, TopicSpec>(topics.flatMap((t) => t.events.map((e) => [e, t] as const)));

export function topicSpec(name: TopicName): TopicSpec {
  const spec = topics.find((t) => t.name === name);
  if (!spec) throw new Error(`no topic ${name} in the catalog`);
  return spec;
}

export function topicOf(type: EventType): TopicSpec {
  const spec = topicOfEvent.get(type);
  if (!spec) throw new Error(`event ${type} belongs to no topic`);
  return spec;
}

/** The full topic name, with the deployment's (or test's) prefix. */
export function topicName(prefix: string, name: TopicName): string {
  return `${prefix ? `${prefix}.` : ''}flashsale.${name}`;
}

/** The record key of an event on its topic. */
export function keyOf(event: FlashsaleEvent): string {
  return topicOf(event.type).key === 'transactionId' && 'transactionId' in event ? event.transactionId : saleKey(event);
}

/**
 * How many partitions past its key's an event's record goes: a sharded sale's claim goes to
 * its sale's partition plus the shopper's shard (so a sale of K shards is decided on K
 * partitions), a claim handed on to another shard to that shard's; every other record to its
 * key's partition.
 */
export function shardOffsetOf(event: FlashsaleEvent): number {
  return event.type === 'ClaimRequested' || event.type === 'ClaimForwarded' ? event.shard : 0;
}

function saleKey(event: FlashsaleEvent): string {
  if ('saleId' in event && typeof event.saleId === 'string') return event.saleId;
  throw new Error(`event ${event.type} has no saleId to key by`);
}

/**
 * Subject naming: TopicRecordNameStrategy, `<topic>-<namespace>.<Record>`, because a topic
 * carries several event types and each evolves on its own.
 */
export function subjectOf(topic: string, type: EventType): string {
  return `${topic}-dev.flashsale.events.${type}`;
}

export type { EventOf };
