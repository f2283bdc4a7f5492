// The promise, checked over one run once the system is quiet: what the clients saw (the
// history) against what the topics and the read models say. Pure: every input is data read
// beforehand, so a recorded run can be checked again in a unit test.
import type { EventOf, FlashsaleEvent } from '../schemas/events/index.js';
import { copiesThatDisagree } from '../test/support/faults/checkers.js';
import type { HistoryEntry } from './history.js';
import { checkLimit, checkStock, type Violation } from './logChecks.js';

export type { Violation };

export type Observed = {
  saleId: string;
  stock: number;
  history: readonly HistoryEntry[];
  /** Every record of the sales topic, in partition order (a sale's events are on one partition), copies included. */
  salesEvents: readonly FlashsaleEvent[];
  /** The transactions with a ClaimRequested on the claims topic: whether a claim answered 202 and never decided is on the log at all. */
  claimsOnTopic: ReadonlySet<string>;
  /** The transactions view's rows for this sale's transactions. */
  transactions: readonly { transaction_id: string; status: string; payments: number; refunds: number }[];
  /** Reconciliation's partner events (one row per partner event it recorded). */
  partnerEvents: readonly { partner_event_id: string; transaction_id: string; kind: string }[];
  mismatches: readonly { kind: string; transaction_id: string }[];
  replay: { equal: boolean; detail: string };
  deadLetters: number;
};

export type Verdict = { claims: number; grants: number; webhooks: number; violations: Violation[] };

type Decision = EventOf<'ClaimGranted'> | EventOf<'ClaimRejected'>;
/** An on-time payment is one answered this long before its reservation lapsed: a late_payment flag on it is invented. */
const ON_TIME_MARGIN_MS = 5_000;

const isDecision = (e: FlashsaleEvent): e is Decision => e.type === 'ClaimGranted' || e.type === 'ClaimRejected';

/** Distinct events (by eventId) of the sale, first copy first. */
function distinct(events: readonly FlashsaleEvent[], saleId: string): FlashsaleEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => 'saleId' in e && e.saleId === saleId && !seen.has(e.eventId) && Boolean(seen.add(e.eventId)));
}

type ClaimSeen = { status?: string; slotId?: string; reason?: string; accepted: boolean };

/**
 * The claims the API answered for sure: 201 granted, 202 accepted (both put the claim on
 * Kafka) or 409 rejected (a sold-out sale is refused at the edge without touching Kafka), with
 * the last definite answer.
 */
function answeredClaims(history: readonly HistoryEntry[]): Map<string, ClaimSeen> {
  const claims = new Map<string, ClaimSeen>();
  for (const h of history) {
    if (h.type !== 'call' || h.method !== 'POST' || !/^\/sales\/[^/]+\/claims$/.test(h.path)) continue;
    if (h.status !== 201 && h.status !== 202 && h.status !== 409) continue;
    const tx = (h.body as { transactionId?: string }).transactionId;
    if (!tx) continue;
    const answer = (h.answer ?? {}) as { status?: string; slotId?: string; reason?: string };
    const known = claims.get(tx) ?? { accepted: false };
    const accepted = known.accepted || h.status === 201 || h.status === 202;
    claims.set(tx, answer.status === 'granted' || answer.status === 'rejected' ? { ...answer, accepted } : { ...known, accepted });
  }
  return claims;
}

/** What the answer said that the decision on the topic does not, if anything. */
function contradicts(answer: ClaimSeen, d: Decision): string | undefined {
  if (answer.status === 'granted' && (d.type !== 'ClaimGranted' || !d.slotIds.includes(answer.slotId ?? '')))
    return `answered granted (slot ${answer.slotId}), the topic says ${d.type}`;
  if (answer.status === 'rejected' && d.type !== 'ClaimRejected') return `answered rejected (${answer.reason}), the topic says ${d.type}`;
  return undefined;
}

/** Every accepted claim decided exactly once (an edge refusal at most once), and the way its answer said. */
function checkDecisions(
  history: readonly HistoryEntry[],
  events: readonly FlashsaleEvent[],
  claimsOnTopic: ReadonlySet<string>,
): Violation[] {
  const byTx = new Map<string, Decision[]>();
  for (const d of events.filter(isDecision)) byTx.set(d.transactionId, [...(byTx.get(d.transactionId) ?? []), d]);
  const found: Violation[] = [];
  for (const [tx, answer] of answeredClaims(history)) {
    const decisions = byTx.get(tx) ?? [];
    if (decisions.length > 1 || (answer.accepted && decisions.length === 0)) {
      found.push({
        check: 'decided-once',
        transactionId: tx,
        says:
          `claim answered ${answer.status ?? 'pending'}, ${decisions.length} decisions on the topic` +
          (decisions.length > 0
            ? ''
            : claimsOnTopic.has(tx)
              ? ' (its ClaimRequested is on the claims topic: never decided)'
              : ' (no ClaimRequested on the claims topic: an acknowledged write lost)'),
      });
      continue;
    }
    const d = decisions[0];
    const contradiction = d && contradicts(answer, d);
    if (contradiction) found.push({ check: 'decided-once', transactionId: tx, says: contradiction });
  }
  return found;
}

/** An entry answered 201 is a fact the system holds: it is never answered "no transaction of yours" (404) afterwards. */
function checkEntriesKept(history: readonly HistoryEntry[]): Violation[] {
  const entered = new Map<string, number>();
  const found: Violation[] = [];
  for (const h of history) {
    if (h.type !== 'call') continue;
    if (h.method === 'POST' && h.path.endsWith('/entries') && h.status === 201) {
      const tx = (h.answer as { transactionId?: string } | undefined)?.transactionId;
      if (tx) entered.set(tx, h.answeredAt);
      continue;
    }
    const tx = (h.body as { transactionId?: string } | undefined)?.transactionId ?? h.path.split('/')[2];
    const since = tx === undefined ? undefined : entered.get(tx);
    if (h.status === 404 && since !== undefined && h.sentAt >= since && !found.some((v) => v.transactionId === tx))
      found.push({ check: 'entries', transactionId: tx, says: `entry acknowledged, then ${h.method} ${h.path} answered 404` });
  }
  return found;
}

/** A grant answered 201 can be paid until it expires: its redirect is never refused (409) before then. */
function checkGrantsKept(history: readonly HistoryEntry[]): Violation[] {
  const expiresAt = new Map<string, number>();
  const found: Violation[] = [];
  for (const h of history) {
    if (h.type !== 'call') continue;
    const answer = h.answer as { status?: string; transactionId?: string; expiresAt?: string } | undefined;
    if (h.status === 201 && answer?.status === 'granted' && answer.transactionId && answer.expiresAt)
      expiresAt.set(answer.transactionId, Date.parse(answer.expiresAt));
    const tx = h.path.match(/^\/transactions\/([^/]+)\/redirect$/)?.[1];
    const until = tx === undefined ? undefined : expiresAt.get(tx);
    if (tx && h.status === 409 && until !== undefined && h.answeredAt < until - 1_000)
      found.push({
        check: 'grants',
        transactionId: tx,
        says: `granted until ${new Date(until).toISOString()}, its redirect refused 409 before that`,
      });
  }
  return found;
}

type Webhook = Extract<HistoryEntry, { type: 'webhook' }>;
const ok = (w: Webhook) => w.status !== undefined && w.status >= 200 && w.status < 300;

/** The signature's `t` stays more than 300 s from the API's clock for the whole time the call was in flight. */
const SIGNATURE_TOLERANCE_SECONDS = 300;
function offWhileInFlight(w: Webhook): boolean {
  const at = (ms: number) => Math.abs(Math.floor(ms / 1000) - w.signedSeconds);
  return at(w.sentAt) > SIGNATURE_TOLERANCE_SECONDS && at(w.answeredAt) > SIGNATURE_TOLERANCE_SECONDS;
}

/**
 * A webhook whose signature was off by more than 300 s for as long as it was in flight is
 * refused 401, and one with a good clock never is. (A +301 s clock may arrive 300 s ahead, after
 * a second in flight: then either answer is right.)
 */
function checkClock(webhooks: readonly Webhook[]): Violation[] {
  return webhooks.flatMap((w) => {
    if (w.clockShiftSeconds !== 0 && offWhileInFlight(w) && w.status !== 401 && w.status !== undefined)
      return [
        { check: 'clock', transactionId: w.transactionId, says: `a webhook signed ${w.clockShiftSeconds} s off was answered ${w.status}` },
      ];
    if (w.clockShiftSeconds === 0 && w.status === 401)
      return [{ check: 'clock', transactionId: w.transactionId, says: 'a webhook signed with a good clock was answered 401' }];
    return [];
  });
}

/** Every partner event answered 2xx is in reconciliation exactly once. */
function checkRecorded(accepted: ReadonlyMap<string, Webhook>, o: Observed): Violation[] {
  const rows = new Map<string, number>();
  for (const r of o.partnerEvents) rows.set(r.partner_event_id, (rows.get(r.partner_event_id) ?? 0) + 1);
  return [...accepted].flatMap(([id, w]) => {
    const n = rows.get(id) ?? 0;
    return n === 1
      ? []
      : [{ check: 'webhooks', transactionId: w.transactionId, says: `${w.kind} ${id} answered ${w.status}, in reconciliation ${n} times` }];
  });
}

/** The transactions view counts, for each of our transactions, exactly the payments and refunds answered 2xx. */
function checkCounted(accepted: ReadonlyMap<string, Webhook>, o: Observed, granted: ReadonlySet<string>): Violation[] {
  const view = new Map(o.transactions.map((t) => [t.transaction_id, t]));
  const perTx = new Map<string, { payments: number; refunds: number }>();
  for (const w of accepted.values()) {
    const c = perTx.get(w.transactionId) ?? { payments: 0, refunds: 0 };
    c[w.kind === 'payment' ? 'payments' : 'refunds']++;
    perTx.set(w.transactionId, c);
  }
  // A payment for a transaction we never opened has no row to count it in.
  return [...perTx].flatMap(([tx, c]) => {
    const row = view.get(tx);
    if (!granted.has(tx) || (row && row.payments === c.payments && row.refunds === c.refunds)) return [];
    const has = row ? `${row.payments} and ${row.refunds}` : 'no row';
    return [
      {
        check: 'webhooks',
        transactionId: tx,
        says: `${c.payments} payments and ${c.refunds} refunds acknowledged; the transactions view has ${has}`,
      },
    ];
  });
}

function checkWebhooks(o: Observed, granted: ReadonlySet<string>): Violation[] {
  const webhooks = o.history.filter((h): h is Webhook => h.type === 'webhook');
  const accepted = new Map(webhooks.filter(ok).map((w) => [w.partnerEventId, w]));
  return [...checkClock(webhooks), ...checkRecorded(accepted, o), ...checkCounted(accepted, o, granted)];
}

/** Reconciliation flags exactly the planted mismatches; a late_payment on a payment made close to its expiry is the race it is, not a fault. */
function checkFlags(o: Observed, grants: ReadonlyMap<string, EventOf<'ClaimGranted'>>): Violation[] {
  const planted = o.history.filter((h) => h.type === 'planted').map((p) => `${p.kind} ${p.transactionId}`);
  const flagged = o.mismatches.map((m) => `${m.kind} ${m.transaction_id}`);
  const found: Violation[] = [];
  for (const p of planted)
    if (!flagged.includes(p))
      found.push({ check: 'flags', transactionId: p.split(' ')[1], says: `planted ${p.split(' ')[0]} not flagged` });
  const acceptedPayments = o.history.filter((h): h is Webhook => h.type === 'webhook' && h.kind === 'payment' && ok(h));
  for (const m of o.mismatches) {
    if (planted.includes(`${m.kind} ${m.transaction_id}`)) continue;
    const expiresAt = grants.get(m.transaction_id)?.expiresAt;
    const raced =
      m.kind === 'late_payment' &&
      expiresAt !== undefined &&
      acceptedPayments.some((w) => w.transactionId === m.transaction_id && w.answeredAt >= expiresAt - ON_TIME_MARGIN_MS);
    if (!raced)
      found.push({ check: 'flags', transactionId: m.transaction_id, says: `reconciliation flagged ${m.kind}, which was not planted` });
  }
  return found;
}

export function checkRun(o: Observed): Verdict {
  const events = distinct(o.salesEvents, o.saleId);
  const grants = new Map(events.filter((e): e is EventOf<'ClaimGranted'> => e.type === 'ClaimGranted').map((g) => [g.transactionId, g]));
  const violations: Violation[] = [
    ...checkStock(events, o.stock),
    ...checkLimit(events),
    ...copiesThatDisagree(o.salesEvents, o.saleId).map((says) => ({ check: 'copies', says })),
    ...checkDecisions(o.history, events, o.claimsOnTopic),
    ...checkEntriesKept(o.history),
    ...checkGrantsKept(o.history),
    ...checkWebhooks(o, new Set(grants.keys())),
    ...checkFlags(o, grants),
    ...(o.replay.equal ? [] : [{ check: 'replay', says: `replay differs from the live projections: ${o.replay.detail}` }]),
    ...(o.deadLetters === 0 ? [] : [{ check: 'dead-letters', says: `${o.deadLetters} records dead-lettered` }]),
  ];
  const webhooks = new Set(o.history.filter((h): h is Webhook => h.type === 'webhook' && ok(h)).map((w) => w.partnerEventId)).size;
  return { claims: answeredClaims(o.history).size, grants: grants.size, webhooks, violations };
}
