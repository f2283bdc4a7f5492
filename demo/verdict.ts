// What the demo proves, as checks a newcomer can read: each one a sentence and a yes/no.
import type { DemoPlan, DemoResult } from './scenario.js';

export type Check = { ok: boolean; says: string };

export function judge(plan: DemoPlan, r: DemoResult, replayEqual: boolean): Check[] {
  const granted = r.outcomes.filter((o) => o.status === 'granted');
  // Reservations that lapsed unpaid gave their slot back, and a later shopper may hold it now.
  const lapsed = new Set([...r.abandoned, r.lateTransactionId]);
  const held = granted.filter((g) => !lapsed.has(g.transactionId));
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
      says: `every unit is accounted for: ${held.length} held + ${remaining} back in the queue = ${plan.stock} (${granted.length - held.length} reservations lapsed)`,
    },
    { ok: [...perUser.values()].every((n) => n <= 1), says: 'nobody got more than the per-user limit of 1' },
    {
      ok: r.outcomes.some((o) => o.status === 'rejected' && o.reason === 'sold_out'),
      says: `the crowd outnumbered the stock and late claimers were refused sold_out (${r.outcomes.filter((o) => o.status === 'rejected').length} refused)`,
    },
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
    { ok: replayEqual, says: 'replaying the topics into a fresh schema gives the same projections' },
  ];
}
