// The mismatch list of GET /reconciliation/sales/:saleId comes in pages: a generated sale
// with more mismatches than the default page, on the real stack (Kafka, the reconciliation
// role, Postgres, the api over HTTP). The pages, walked by their cursors, hold every
// mismatch exactly once and in the report's order; a bad limit or cursor is a 400, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReconciliation } from '../../../projections/reconciliation/report.js';
import { generateScenario, type Scenario } from '../../support/reconciliationScenario.js';
import { laterSale, publishInChunks, waitCaughtUp } from '../../support/reconciliationStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';

const GRACE_SECONDS = 900;
const DEFAULT_PAGE = 100;

type Page = { mismatches: { transactionId: string; kind: string; detectedAt: string }[]; nextCursor: string | null };

let system: TestSystem;
let s: Scenario;
let operator: string;
beforeAll(async () => {
  system = await startTestSystem('recon-pages', ['api', 'reconciliation'], {
    RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS),
    // The pages are walked as fast as they answer: this test is about paging, not the operator's rate limit.
    RATE_LIMIT_OPERATOR_PER_SEC: '1000',
  });
  // 6 stream kinds × 20: more mismatches than one default page holds.
  s = generateScenario({ seed: 16, transactions: 400, faultsPerKind: 20, startAt: Date.now() + 10 * 60_000 });
  const { platform, prefix } = system;
  await publishInChunks(
    platform.publisher,
    [...s.ours, ...s.partner].sort((a, b) => a.occurredAt - b.occurredAt),
  );
  await waitCaughtUp(platform.kafka, platform.db, prefix);
  await platform.publisher.publish([laterSale(s.lastAt + GRACE_SECONDS * 1000 + 1000)]);
  await waitCaughtUp(platform.kafka, platform.db, prefix);
  operator = await system.operatorToken();
});
afterAll(async () => {
  await system?.stop();
});

async function get(query: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${system.baseUrl}/reconciliation/sales/${s.sale.saleId}${query}`, {
    headers: { authorization: `Bearer ${operator}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the mismatch list, in pages', () => {
  it('answers at most the default page, then the rest by the cursor', async () => {
    const whole = await readReconciliation(system.platform.db, s.sale.saleId);
    // (An unknown transaction the partner names may belong to no sale: the sale's list is what its report shows.)
    expect(whole?.report.mismatches.length).toBeGreaterThan(DEFAULT_PAGE);

    const first = await get('');
    expect(first.status).toBe(200);
    const firstPage = first.body as Page;
    expect(firstPage.mismatches).toHaveLength(DEFAULT_PAGE);
    expect(typeof firstPage.nextCursor).toBe('string');
    // Totals are the sale's, whatever the page.
    expect(first.body.internal).toEqual(whole?.report.internal);
    expect(first.body.partner).toEqual(whole?.report.partner);

    const second = (await get(`?cursor=${firstPage.nextCursor}`)).body as Page;
    expect(second.nextCursor).toBeNull();
    expect([...firstPage.mismatches, ...second.mismatches]).toEqual(whole?.report.mismatches);
  });

  it('walks small pages to the end: every mismatch once, in order', async () => {
    const whole = await readReconciliation(system.platform.db, s.sale.saleId);
    const seen: Page['mismatches'] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await get(`?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      const page = answer.body as Page;
      expect(page.mismatches.length).toBeLessThanOrEqual(7);
      seen.push(...page.mismatches);
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    expect(pages).toBe(Math.ceil((whole?.report.mismatches.length ?? 0) / 7));
    expect(seen).toEqual(whole?.report.mismatches);
  });

  it('refuses a limit out of bounds and a cursor it never handed out with 400', async () => {
    for (const query of [
      '?limit=0',
      '?limit=1001',
      '?limit=ten',
      '?cursor=not-a-cursor',
      `?cursor=${Buffer.from(JSON.stringify(['99999999999999999999999', 'k', 't', 'm'])).toString('base64url')}`,
      `?cursor=${Buffer.from(JSON.stringify(['1', 2, 't', 'm'])).toString('base64url')}`,
    ]) {
      const answer = await get(query);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      expect(answer.body.error).toBeTypeOf('string');
    }
    expect((await get('?limit=1000')).status).toBe(200);
  });
});
