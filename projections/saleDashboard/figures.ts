// The live sale dashboard's figures, folded from the events as they pass: claims and
// decisions per second per sale, p99 claim-to-decision, and the mismatches flagged. An
// in-memory read model of the recent past only (seconds, not history): every store is
// bounded and old figures fall out. Times are the events' own (occurredAt, epoch ms), so the
// same events give the same figures whatever moment they are read at.
import type { FlashsaleEvent } from '../../schemas/events/index.js';

export type SaleRates = {
  saleId: string;
  claimsPerSecond: number;
  decisionsPerSecond: number;
  granted: number;
  rejected: number;
  /** Over the last LATENCY_WINDOW_MS; null while no decision of a claim seen here came. */
  claimToDecisionMsP99: number | null;
};

export type MismatchSeen = { mismatchId: string; transactionId: string; saleId: string | null; kind: string; detectedAt: number };

export const RATE_WINDOW_MS = 5_000;
export const LATENCY_WINDOW_MS = 10_000;
/** Claims waiting for their decision: past this many, the oldest are forgotten (their latency is not measured). */
export const PENDING_CLAIMS_MAX = 100_000;
export const LATENCY_SAMPLES_MAX = 50_000;
export const MISMATCHES_KEPT = 100;

type SaleTally = { claims: Map<number, number>; decisions: Map<number, number>; granted: number; rejected: number; latencies: Sample[] };
type Sample = { at: number; ms: number };

const secondOf = (ms: number) => Math.floor(ms / 1000);

function countIn(buckets: Map<number, number>, fromMs: number, toMs: number): number {
  let n = 0;
  for (const [second, count] of buckets) if (second * 1000 >= fromMs && second * 1000 < toMs) n += count;
  return n;
}

function forgetBefore(buckets: Map<number, number>, ms: number): void {
  for (const second of buckets.keys()) if (second * 1000 < ms) buckets.delete(second);
}

/** The nearest-rank p99 of a list of milliseconds, or null for none. */
export function p99(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? null;
}

export function createSaleFigures() {
  const sales = new Map<string, SaleTally>();
  const pendingClaims = new Map<string, number>();
  let mismatches: MismatchSeen[] = [];

  const tallyOf = (saleId: string): SaleTally => {
    let tally = sales.get(saleId);
    if (!tally) {
      tally = { claims: new Map(), decisions: new Map(), granted: 0, rejected: 0, latencies: [] };
      sales.set(saleId, tally);
    }
    return tally;
  };
  const bump = (buckets: Map<number, number>, at: number) => buckets.set(secondOf(at), (buckets.get(secondOf(at)) ?? 0) + 1);

  function decided(event: FlashsaleEvent & { type: 'ClaimGranted' | 'ClaimRejected' }): void {
    const tally = tallyOf(event.saleId);
    bump(tally.decisions, event.occurredAt);
    if (event.type === 'ClaimGranted') tally.granted += 1;
    else tally.rejected += 1;
    const claimedAt = pendingClaims.get(event.transactionId);
    if (claimedAt === undefined) return;
    pendingClaims.delete(event.transactionId);
    tally.latencies.push({ at: event.occurredAt, ms: Math.max(0, event.occurredAt - claimedAt) });
    if (tally.latencies.length > LATENCY_SAMPLES_MAX) tally.latencies.splice(0, tally.latencies.length - LATENCY_SAMPLES_MAX);
  }

  return {
    apply(event: FlashsaleEvent): void {
      if (event.type === 'ClaimRequested') {
        bump(tallyOf(event.saleId).claims, event.occurredAt);
        pendingClaims.set(event.transactionId, event.occurredAt);
        if (pendingClaims.size > PENDING_CLAIMS_MAX) pendingClaims.delete(pendingClaims.keys().next().value as string);
      } else if (event.type === 'ClaimGranted' || event.type === 'ClaimRejected') {
        decided(event);
      } else if (event.type === 'MismatchFlagged') {
        const { eventId: mismatchId, transactionId, saleId, kind, occurredAt: detectedAt } = event;
        mismatches = [...mismatches, { mismatchId, transactionId, saleId, kind, detectedAt }].slice(-MISMATCHES_KEPT);
      }
      // Every other event says nothing the dashboard shows.
    },

    /** The figures as of `now`; forgets what fell out of every window. */
    snapshot(now: number): { sales: SaleRates[]; mismatches: MismatchSeen[] } {
      const rates: SaleRates[] = [];
      for (const [saleId, tally] of sales) {
        forgetBefore(tally.claims, now - RATE_WINDOW_MS - 1000);
        forgetBefore(tally.decisions, now - RATE_WINDOW_MS - 1000);
        tally.latencies = tally.latencies.filter((s) => s.at >= now - LATENCY_WINDOW_MS);
        rates.push({
          saleId,
          // Whole seconds before the current one: the current second is still filling.
          claimsPerSecond: countIn(tally.claims, now - RATE_WINDOW_MS - 1000, now - 1000) / (RATE_WINDOW_MS / 1000),
          decisionsPerSecond: countIn(tally.decisions, now - RATE_WINDOW_MS - 1000, now - 1000) / (RATE_WINDOW_MS / 1000),
          granted: tally.granted,
          rejected: tally.rejected,
          claimToDecisionMsP99: p99(tally.latencies.map((s) => s.ms)),
        });
      }
      return { sales: rates, mismatches };
    },
  };
}

export type SaleFigures = ReturnType<typeof createSaleFigures>;
