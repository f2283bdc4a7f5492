// What must hold after any fault, read from where the truth is (the topics, the read
// models), as findings a test can print before it asserts: the numbers of a failure are
// what its reader needs. Each checker returns the violations it found; none is no news.
import type { Kafka } from 'kafkajs';
import { readTopicRange } from '../../../platform/kafka/topicReader.js';
import type { Db } from '../../../platform/postgres.js';
import type { EventCodec } from '../../../platform/registry/codec.js';
import { readReconciliation } from '../../../projections/reconciliation/report.js';
import type { EventOf, FlashsaleEvent } from '../../../schemas/events/index.js';
import { topicName } from '../../../schemas/topics.js';

type Decision = EventOf<'ClaimGranted'> | EventOf<'ClaimRejected'>;

export type TopicSlice = { kafka: Kafka; codec: EventCodec; topicPrefix: string };

/** Every event on the `sales` topic of this prefix, from the beginning to the end as it is now. */
export async function readSalesTopic({ kafka, codec, topicPrefix }: TopicSlice): Promise<FlashsaleEvent[]> {
  const events: FlashsaleEvent[] = [];
  await readTopicRange({
    kafka,
    codec,
    topicPrefix,
    topics: ['sales'],
    onBatch: (batch) => {
      for (const d of batch) events.push(d.event);
    },
  });
  return events;
}

/** The transactions of this sale with a ClaimRequested on the claims topic. */
export async function readClaimedTransactions({ kafka, codec, topicPrefix }: TopicSlice, saleId: string): Promise<Set<string>> {
  const claimed = new Set<string>();
  await readTopicRange({
    kafka,
    codec,
    topicPrefix,
    topics: ['claims'],
    onBatch: (batch) => {
      for (const { event } of batch) if (event.type === 'ClaimRequested' && event.saleId === saleId) claimed.add(event.transactionId);
    },
  });
  return claimed;
}

/**
 * One sale's decisions as the topic tells them. A decision published again (a redelivered
 * batch) carries the same eventId and counts once; two different events for one transaction
 * are two decisions.
 */
export type SaleLedger = {
  saleId: string;
  /** Distinct decision events (by eventId), by transaction. */
  decisions: Map<string, Decision[]>;
  grants: EventOf<'ClaimGranted'>[];
  unitsGranted: number;
  /** Every slot id granted, once per grant that named it. */
  slotIds: string[];
  /** Slot ids named by more than one grant. */
  slotsGrantedTwice: string[];
};

export function saleLedger(events: readonly FlashsaleEvent[], saleId: string): SaleLedger {
  const byEventId = new Map<string, Decision>();
  for (const e of events) {
    if ((e.type === 'ClaimGranted' || e.type === 'ClaimRejected') && e.saleId === saleId && !byEventId.has(e.eventId))
      byEventId.set(e.eventId, e);
  }
  const decisions = new Map<string, Decision[]>();
  for (const d of byEventId.values()) decisions.set(d.transactionId, [...(decisions.get(d.transactionId) ?? []), d]);
  const grants = [...byEventId.values()].filter((d): d is EventOf<'ClaimGranted'> => d.type === 'ClaimGranted');
  const slotIds = grants.flatMap((g) => g.slotIds);
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const s of slotIds) (seen.has(s) ? twice : seen).add(s);
  return {
    saleId,
    decisions,
    grants,
    unitsGranted: grants.reduce((n, g) => n + g.quantity, 0),
    slotIds,
    slotsGrantedTwice: [...twice].sort(),
  };
}

/**
 * A decision published again (same eventId, so counted once by saleLedger) must be the same
 * decision: a copy that differs in outcome, slots, quantity or reservation is a writer that
 * decided again with other state (a zombie after a rebalance, say), and the ledger's dedup would
 * hide it.
 */
export function copiesThatDisagree(events: readonly FlashsaleEvent[], saleId: string): string[] {
  const outcome = (d: Decision) =>
    JSON.stringify(
      d.type === 'ClaimGranted'
        ? [d.type, d.userId, d.quantity, [...d.slotIds].sort(), d.expiresAt]
        : [d.type, d.userId, d.quantity, d.reason],
    );
  const first = new Map<string, string>();
  const found: string[] = [];
  for (const e of events) {
    if ((e.type !== 'ClaimGranted' && e.type !== 'ClaimRejected') || e.saleId !== saleId) continue;
    const seen = first.get(e.eventId);
    const now = outcome(e);
    if (seen === undefined) first.set(e.eventId, now);
    else if (seen !== now) found.push(`decision ${e.eventId} published as ${seen} and again as ${now}`);
  }
  return found;
}

/** Grants never exceed stock: more units granted than the sale has is overselling. */
export function grantsBeyondStock(ledger: SaleLedger, stock: number): string[] {
  return ledger.unitsGranted > stock ? [`${ledger.unitsGranted} units granted for ${stock} in sale ${ledger.saleId}`] : [];
}

/** No slot granted twice. */
export function slotsGrantedTwice(ledger: SaleLedger): string[] {
  return ledger.slotsGrantedTwice.map((s) => `slot ${s} granted ${ledger.slotIds.filter((x) => x === s).length} times`);
}

/** Every claim answered 202 (accepted) has exactly one decision: none is lost, none is made twice. */
export function claimsNotDecidedOnce(ledger: SaleLedger, acceptedTransactionIds: Iterable<string>): string[] {
  const found: string[] = [];
  for (const tx of acceptedTransactionIds) {
    const n = ledger.decisions.get(tx)?.length ?? 0;
    if (n !== 1) found.push(`transaction ${tx} has ${n} decisions`);
  }
  return found;
}

/**
 * Every payment the partner was answered 2xx for is in the transactions view as paid and in
 * the reconciliation report's totals. The report counts per sale, so the payments are given
 * with their sale.
 */
export async function paymentsUnaccounted(
  db: Db,
  saleId: string,
  paidTransactionIds: readonly string[],
): Promise<{ violations: string[]; viewPaid: number; reportPaid: number }> {
  const view = await db.query<{ transaction_id: string; status: string; payments: number }>(
    'select transaction_id, status, payments from transactions where transaction_id = any($1)',
    [paidTransactionIds],
  );
  const inView = new Map(view.rows.map((r) => [r.transaction_id, r]));
  const violations: string[] = [];
  for (const tx of paidTransactionIds) {
    const row = inView.get(tx);
    if (!row || row.status !== 'paid') violations.push(`transaction ${tx} is ${row ? row.status : 'missing'} in the transactions view`);
  }
  const inReport = await db.query<{ transaction_id: string }>(
    "select distinct transaction_id from reconciliation_partner_events where kind = 'payment' and transaction_id = any($1)",
    [paidTransactionIds],
  );
  const reported = new Set(inReport.rows.map((r) => r.transaction_id));
  for (const tx of paidTransactionIds) if (!reported.has(tx)) violations.push(`payment of ${tx} is not in the reconciliation totals`);
  const report = await readReconciliation(db, saleId);
  const reportPaid = report?.report.partner.paid ?? 0;
  if (reportPaid < paidTransactionIds.length)
    violations.push(`the reconciliation report of ${saleId} counts ${reportPaid} payments; ${paidTransactionIds.length} were acknowledged`);
  const viewPaid = view.rows.filter((r) => r.status === 'paid').length;
  return { violations, viewPaid, reportPaid };
}

/** Reconciliation flags nothing that was not planted: every mismatch of the sale whose kind the test did not plant. */
export async function unplantedFlags(db: Db, saleId: string, planted: readonly string[] = []): Promise<string[]> {
  const view = await readReconciliation(db, saleId);
  return (view?.report.mismatches ?? [])
    .filter((m) => !planted.includes(m.kind))
    .map((m) => `reconciliation flagged ${m.kind} for ${m.transactionId}`);
}

/** How many records the dead-letter topic of this prefix holds: nothing belongs there after a transient fault. */
export async function deadLetterCount(kafka: Kafka, topicPrefix: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topicName(topicPrefix, 'dead-letter'));
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
