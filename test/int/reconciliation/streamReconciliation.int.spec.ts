// A generated sale of thousands of transactions on the real stack, with faults of every
// stream kind planted at random: reconciliation finds every planted one, invents none,
// records and publishes each once, and its report's totals agree with what was generated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReconciliation } from '../../../projections/reconciliation/report.js';
import { generateScenario, streamKinds } from '../../support/reconciliationScenario.js';
import {
  countByKind,
  flagKey,
  flagRows,
  laterSale,
  publishedFlags,
  publishInChunks,
  waitCaughtUp,
} from '../../support/reconciliationStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { waitFor } from '../../support/waitFor.js';

// Longer than the generated sale: nothing is judged unknown until the clock has moved past
// all of it, however unevenly Kafka hands out the partitions. (heldEvents.int.spec.ts
// covers deadlines passing mid-stream.)
const GRACE_SECONDS = 900;
const SEED = Number(process.env.RECON_SEED ?? 20261125);

let system: TestSystem;
beforeAll(async () => {
  system = await startTestSystem('recon', ['reconciliation'], { RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS) });
});
afterAll(async () => {
  await system.stop();
});

describe('reconciliation of a generated sale on the real stack', () => {
  it('finds every planted mismatch of every kind, invents none, and publishes each once', async () => {
    const { platform, prefix } = system;
    // Dated ahead of the wall clock (Kafka accepts up to an hour), so only the events' own
    // times move reconciliation's clock, never the idle clock.
    const s = generateScenario({ seed: SEED, transactions: 3000, faultsPerKind: 20, startAt: Date.now() + 10 * 60_000 });
    const early = new Set(s.early);

    // Some clean payments reach Kafka before anything of ours: they must be held, not flagged.
    await publishInChunks(platform.publisher, s.early);
    await waitCaughtUp(platform.kafka, platform.db, prefix);
    expect(await flagRows(platform.db)).toEqual([]);

    const rest = [...s.ours, ...s.partner.filter((e) => !early.has(e))].sort((a, b) => a.occurredAt - b.occurredAt);
    await publishInChunks(platform.publisher, rest);
    await waitCaughtUp(platform.kafka, platform.db, prefix);
    const beforeGrace = await flagRows(platform.db);
    expect(beforeGrace.filter((f) => f.kind === 'unknown_transaction' || f.kind === 'refund_without_payment')).toEqual([]);

    // Time moves on (tomorrow's sale is scheduled): every grace period has run out.
    await platform.publisher.publish([laterSale(s.lastAt + GRACE_SECONDS * 1000 + 1000)]);
    await waitCaughtUp(platform.kafka, platform.db, prefix);

    const found = await flagRows(platform.db);
    const planted = new Set(s.planted.map(flagKey));
    const foundKeys = new Set(found.map(flagKey));
    const missed = s.planted.filter((p) => !foundKeys.has(flagKey(p)));
    const invented = found.filter((f) => !planted.has(flagKey(f)));
    console.log(
      `reconciliation: ${s.ours.length + s.partner.length + 1} events, ${s.totals.internal.granted} transactions; ` +
        `planted ${s.planted.length} ${JSON.stringify(countByKind(s.planted))}; found ${found.length} ${JSON.stringify(countByKind(found))}; ` +
        `missed ${missed.length}, invented ${invented.length}`,
    );
    expect(new Set(s.planted.map((p) => p.kind))).toEqual(new Set(streamKinds));
    expect(missed).toEqual([]);
    expect(invented).toEqual([]);
    expect(found.every((f) => f.sale_id === s.sale.saleId)).toBe(true);

    // Published once each: every flag is on the topic, and nothing else, and nothing twice.
    // The outbox publishes right after each batch; the last one may still be on its way.
    const published = await waitFor(
      async () => {
        const records = await publishedFlags(platform.kafka, platform.codec, prefix);
        return records.length >= found.length ? records : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every flag on the reconciliation topic' },
    );
    expect(published.map((e) => e.eventId).sort()).toEqual(found.map((f) => f.mismatch_id).sort());

    const view = await readReconciliation(platform.db, s.sale.saleId);
    expect(view?.report.internal).toEqual(s.totals.internal);
    expect(view?.report.partner).toEqual(s.totals.partner);
    expect(view?.report.mismatches).toHaveLength(s.planted.length);
  });
});
