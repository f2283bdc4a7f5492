// What the demo proves, as checks a newcomer can read: each one a sentence and a yes/no.
import { partitionOf } from '../platform/kafka/partitioning.js';
import type { ClaimOutcome } from './crowd.js';
import type { DemoPlan, DemoResult } from './scenario.js';

export type Check = { ok: boolean; says: string };

/** `claims`: what each partition of the run's own `claims` topic holds (its one sale's claims). */
export function judge(plan: DemoPlan, r: DemoResult, replayEqual: boolean, claims: ReadonlyMap<number, number>): Check[] {
  const granted = r.outcomes.filter((o) => o.status === 'granted');
  const buyer = r.resale.buyer;
  const resold = buyer?.status === 'granted' ? buyer : undefined;
  const everyGrant = [...granted, ...r.refills, ...(resold ? [resold] : [])];
  // Reservations that lapsed unpaid gave their slot back, and so did the refunded underpaid
  // one; a later shopper holds them now.
  const lapsed = new Set([...r.abandoned, r.lateTransactionId, r.resale.refunded.transactionId]);
  const held = everyGrant.filter((g) => !lapsed.has(g.transactionId));
  const slots = new Set(held.map((g) => g.slotId));
  const remaining = Number(r.saleAtEnd.stockRemaining);
  const perUser = new Map<string, number>();
  for (const g of granted) perUser.set(g.userId, (perUser.get(g.userId) ?? 0) + 1);
  const failed = r.outcomes.filter((o) => o.status === 'failed');
  const found = (kind: string, tx: string) => r.report.mismatches.some((m) => m.kind === kind && m.transactionId === tx);
  const invented = r.report.mismatches.filter((m) => !r.planted.some((p) => p.kind === m.kind && p.transactionId === m.transactionId));
  return [
    { ok: held.length <= plan.stock, says: `never oversold: ${held.length} units held for ${plan.stock} in stock` },
    { ok: slots.size === held.length, says: `every held unit is a distinct slot (${slots.size} distinct)` },
    {
      ok: held.length + remaining === plan.stock,
      says: `every unit is accounted for: ${held.length} held + ${remaining} back in the queue = ${plan.stock} (${everyGrant.length - held.length} reservations lapsed or refunded)`,
    },
    { ok: [...perUser.values()].every((n) => n <= 1), says: 'nobody got more than the per-user limit of 1' },
    {
      ok: r.outcomes.some((o) => o.status === 'rejected' && o.reason === 'sold_out'),
      says: `the crowd outnumbered the stock and late claimers were refused sold_out (${r.outcomes.filter((o) => o.status === 'rejected').length} refused)`,
    },
    shardsCheck(plan, claims),
    { ok: failed.length === 0, says: `every shopper got a decision (${failed.length} did not${failed[0] ? `: ${failed[0].reason}` : ''})` },
    { ok: r.redeliveredAnsweredDuplicate, says: 'a redelivered webhook was answered {duplicate: true} and recorded once' },
    ...r.planted.map((p) => ({ ok: found(p.kind, p.transactionId), says: `reconciliation found the planted ${p.kind}: ${p.what}` })),
    {
      ok: invented.length === 0,
      says: `reconciliation invented no mismatch (${invented.length} unplanned${invented[0] ? `: ${invented[0].kind}` : ''})`,
    },
    {
      ok: r.report.internal.expired >= r.abandoned.length + 1,
      says: `abandoned reservations expired as outcomes, not mismatches (${r.report.internal.expired} expired)`,
    },
    ...closingChecks(r, resold),
    { ok: replayEqual, says: 'replaying the topics into a fresh schema gives the same projections' },
  ];
}

/** The sale's claims went to exactly its shards' partitions, every one of them. */
function shardsCheck(plan: DemoPlan, claims: ReadonlyMap<number, number>): Check {
  const ownPartitions = Array.from({ length: plan.shards }, (_, k) => partitionOf('claims', plan.saleId, k));
  const used = [...claims].filter(([, n]) => n > 0).map(([p]) => p);
  const spread = ownPartitions.map((p) => `partition ${p}: ${claims.get(p) ?? 0}`).join(', ');
  return {
    ok: used.length === plan.shards && ownPartitions.every((p) => (claims.get(p) ?? 0) > 0),
    says: `the sale ran on ${plan.shards} shard(s), its claims spread over ${used.length} claims partition(s) (${spread})`,
  };
}

/** The books closed: each fault resolved, the refunded unit sold again, the settlement file reconciled, nothing open, the identity holding. */
function closingChecks(r: DemoResult, resold: Extract<ClaimOutcome, { status: 'granted' }> | undefined): Check[] {
  const buyer = r.resale.buyer;
  const resolutionOf = (kind: string, tx: string) => r.report.mismatches.find((m) => m.kind === kind && m.transactionId === tx);
  const { money, mismatchCounts: counts } = r.report;
  const run = r.report.settlements.find((s) => s.settlementId === r.settlement.settlementId);
  return [
    ...r.resolutions.map((x) => {
      const m = resolutionOf(x.kind, x.transactionId);
      return {
        ok: x.status === 200 && m?.status === 'resolved' && m.resolution?.action === x.action,
        says: `the operator resolved the ${x.kind} with ${x.action}, and it is ${m?.status ?? 'gone'}${x.error ? ` (answered ${x.status}: ${x.error})` : ''}`,
      };
    }),
    {
      ok: r.resolutions.length === r.planted.length,
      says: `every planted mismatch got a resolution (${r.resolutions.length} of ${r.planted.length})`,
    },
    {
      ok: r.resale.stockAfterRefund >= 1 && resold?.slotId === r.resale.refunded.slotId,
      says: `the refunded underpaid unit went back on sale (${r.resale.stockAfterRefund} free after the refund) and a waiting shopper bought it at its price (${resold ? `slot ${resold.slotId}` : `no grant: ${!buyer ? 'nobody tried' : 'reason' in buyer ? buyer.reason : buyer.status}`})`,
    },
    {
      ok: r.settlement.status === 202 && run !== undefined && run.findings === 0 && run.rowsOfSale > 0,
      says: `the partner's settlement file was delivered (${r.settlement.status}) and reconciled: ${run ? `${run.rowsOfSale} rows of this sale, ${run.findings} findings` : 'no run listed'}`,
    },
    {
      ok: counts.open === 0 && counts.resolving === 0,
      says: `no mismatch is left open (${counts.open} open, ${counts.resolving} resolving, ${counts.resolved} resolved)`,
    },
    {
      ok: money.balanced && money.paid === money.kept + money.refunded + money.writtenOff,
      says: `the books balance: paid ${money.paid} = kept ${money.kept} + refunded ${money.refunded} + written off ${money.writtenOff}`,
    },
  ];
}
