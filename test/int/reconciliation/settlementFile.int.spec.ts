// A partner's settlement file against the stream, through the real `flashsale reconcile`
// command and GET /reconciliation/sales/:saleId: a missing row, an extra row and a wrong
// amount are all found, recorded once, published, and reported the same way by both; a
// malformed file is refused by line number with nothing applied.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventOf } from '../../../schemas/events/index.js';
import { PROJECT_ROOT } from '../../../stack/paths.js';
import { generateScenario, type Scenario } from '../../support/reconciliationScenario.js';
import { laterSale, publishedFlags, publishInChunks, waitCaughtUp } from '../../support/reconciliationStack.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';

const GRACE_SECONDS = 900;
type PartnerEvent = EventOf<'PartnerPaymentReported'> | EventOf<'PartnerRefundReported'>;
type Report = {
  internal: Record<string, number>;
  partner: Record<string, number>;
  mismatches: { transactionId: string; kind: string; expected: unknown; actual: unknown; detectedAt: string }[];
};

let system: TestSystem;
let s: Scenario;
let dir: string;
beforeAll(async () => {
  system = await startTestSystem('recon-file', ['api', 'reconciliation'], { RECONCILIATION_GRACE_SECONDS: String(GRACE_SECONDS) });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settlement-'));
  s = generateScenario({ seed: 42, transactions: 300, faultsPerKind: 3, startAt: Date.now() + 10 * 60_000 });
  const { platform, prefix } = system;
  await publishInChunks(
    platform.publisher,
    [...s.ours, ...s.partner].sort((a, b) => a.occurredAt - b.occurredAt),
  );
  await waitCaughtUp(platform.kafka, platform.db, prefix);
  await platform.publisher.publish([laterSale(s.lastAt + GRACE_SECONDS * 1000 + 1000)]);
  await waitCaughtUp(platform.kafka, platform.db, prefix);
});
afterAll(async () => {
  await system.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function reconcile(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(PROJECT_ROOT, 'bin/flashsale.js'), 'reconcile', '--sale', s.sale.saleId, '--schema', system.dbSchema, ...args],
      { cwd: PROJECT_ROOT, env: { ...process.env, TOPIC_PREFIX: system.prefix }, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

// Shuffled columns, an unknown one with commas, quotes and a line break, CRLF endings.
const HEADER = ['note', 'amountMinor', 'occurredAt', 'type', 'eventId', 'currency', 'quantity', 'transactionId', 'batch'];
function csvRow(
  r: { eventId: string; transactionId: string; type: string; quantity: number; amountMinor: number; currency: string; at: number },
  note: string,
) {
  const cells: Record<string, string> = {
    note: `"${note.replace(/"/g, '""')}"`,
    amountMinor: String(r.amountMinor),
    occurredAt: new Date(r.at).toISOString(),
    type: r.type,
    eventId: r.eventId,
    currency: r.currency,
    quantity: String(r.quantity),
    transactionId: r.transactionId,
    batch: '7',
  };
  return HEADER.map((h) => cells[h]).join(',');
}

describe('reconciling against a partner settlement file', () => {
  let expectedFindings: { kind: string; transactionId: string }[];
  let firstReport: Report;

  it('finds the missing row, the extra row and the wrong amount, and nothing else', async () => {
    // The sale's partner's file lists its own events only (the scenario has another partner's too).
    const own = (s.partner as PartnerEvent[]).filter((e) => e.partnerId === s.sale.partnerId);
    const distinct = [...new Map(own.map((e) => [e.eventId, e])).values()];
    const rows = distinct.map((e) => ({
      eventId: e.partnerEventId,
      transactionId: e.transactionId,
      type: e.type === 'PartnerPaymentReported' ? 'payment' : 'refund',
      quantity: e.quantity,
      amountMinor: e.amountMinor,
      currency: e.currency,
      at: e.reportedAt,
    }));
    // The partner's file forgets one payment (not its last row: the file is taken to cover up to its latest time)...
    const payments = rows.filter((r) => r.type === 'payment');
    const dropped = payments[Math.floor(payments.length / 3)]!;
    // ...states another amount for one...
    const changed = payments[Math.floor((2 * payments.length) / 3)]!;
    // ...and lists a payment we never heard of, for a reservation of this sale that expired unpaid.
    const paidTx = new Set(rows.map((r) => r.transactionId));
    const expired = s.ours.find((e) => e.type === 'ReservationReleased' && !paidTx.has(e.transactionId)) as EventOf<'ReservationReleased'>;
    const extra = { ...changed, eventId: 'pe-extra', transactionId: expired.transactionId, amountMinor: 1999, quantity: 1 };
    const lines = rows
      .filter((r) => r !== dropped)
      .map((r) => (r === changed ? { ...r, amountMinor: r.amountMinor + 100 } : r))
      .concat(extra)
      .map((r, i) => csvRow(r, i === 3 ? 'two\r\nlines, "quoted"' : `row ${i}, fine`));
    fs.writeFileSync(path.join(dir, 'settlement.csv'), [HEADER.join(','), ...lines, ''].join('\r\n'));
    expectedFindings = [
      { kind: 'missing_from_file', transactionId: dropped.transactionId },
      { kind: 'missing_from_stream', transactionId: extra.transactionId },
      { kind: 'amount_mismatch', transactionId: changed.transactionId },
    ];

    const run = await reconcile('--partner-file', path.join(dir, 'settlement.csv'), '--format', 'json');
    expect(run.stderr).toContain(`${rows.length} rows`);
    expect(run.code).toBe(0);
    firstReport = JSON.parse(run.stdout) as Report;
    const { rows: findings } = await system.platform.db.query<{ kind: string; transaction_id: string; mismatch_id: string }>(
      'select kind, transaction_id, mismatch_id from reconciliation_settlement_findings order by kind',
    );
    console.log(`settlement file: ${rows.length} rows; findings ${JSON.stringify(findings.map((f) => f.kind))}`);
    expect(findings.map((f) => ({ kind: f.kind, transactionId: f.transaction_id }))).toEqual(
      [...expectedFindings].sort((a, b) => (a.kind < b.kind ? -1 : 1)),
    );
    expect(findings.find((f) => f.kind === 'amount_mismatch')?.mismatch_id).toMatch(/:settlement$/);
    // The report carries the stream's flags and the file's findings.
    expect(firstReport.mismatches).toHaveLength(s.planted.length + 3);
    const changedFinding = firstReport.mismatches.find((m) => m.kind === 'amount_mismatch' && m.transactionId === changed.transactionId);
    expect(changedFinding).toMatchObject({
      expected: { amountMinor: changed.amountMinor, quantity: changed.quantity, currency: 'EUR' },
      actual: { amountMinor: changed.amountMinor + 100 },
    });
    // And they are on the reconciliation topic, once each.
    const published = (await publishedFlags(system.platform.kafka, system.platform.codec, system.prefix)).map((e) => e.eventId);
    for (const f of findings) expect(published.filter((id) => id === f.mismatch_id)).toHaveLength(1);
  });

  it('records nothing new when the same file is reconciled again, and reports the same', async () => {
    const again = await reconcile('--partner-file', path.join(dir, 'settlement.csv'), '--format', 'json');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/3 findings, 0 new/);
    expect(JSON.parse(again.stdout)).toEqual(firstReport);
  });

  it('answers GET /reconciliation/sales/:saleId with the same report, to operators only', async () => {
    const url = `${system.baseUrl}/reconciliation/sales/${s.sale.saleId}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${await system.operatorToken()}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(firstReport);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: `Bearer ${await system.userToken('u-1')}` } })).status).toBe(403);
    const unknown = await fetch(`${system.baseUrl}/reconciliation/sales/no-such-sale`, {
      headers: { authorization: `Bearer ${await system.operatorToken()}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('refuses a malformed file by line number and applies none of it', async () => {
    // Physical lines of the good file: its fourth row spans two (a quoted line break), lines 5 and 6.
    const good = fs.readFileSync(path.join(dir, 'settlement.csv'), 'utf8').split('\r\n');
    // A new row that would be a finding, then a bad amount further down, after the two-line row.
    const extra = csvRow(
      {
        eventId: 'pe-new',
        transactionId: 'tx-unknown',
        type: 'payment',
        quantity: 1,
        amountMinor: 5,
        currency: 'EUR',
        at: s.sale.startsAt,
      },
      'would be missing_from_stream',
    );
    const bad = good[10]!.replace(/^("[^"]*"),\d+,/, '$1,12.50,');
    const lines = [good[0]!, extra, ...good.slice(1, 10), bad, ...good.slice(11)];
    fs.writeFileSync(path.join(dir, 'bad.csv'), lines.join('\r\n'));
    const before = await system.platform.db.query('select mismatch_id from reconciliation_settlement_findings');
    const run = await reconcile('--partner-file', path.join(dir, 'bad.csv'));
    // Line 1 header, 2 the new row, 3..11 the good file's lines 2..10, 12 the bad one.
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe('flashsale: line 12: amountMinor: expected a whole number of minor units ≥ 0, got "12.50"');
    expect(run.stdout).toBe('');
    const after = await system.platform.db.query('select mismatch_id from reconciliation_settlement_findings');
    expect(after.rows).toEqual(before.rows);
  });

  it('prints the report as CSV and as a table', async () => {
    const csv = await reconcile('--format', 'csv');
    expect(csv.code).toBe(0);
    const csvLines = csv.stdout.trimEnd().split('\r\n');
    expect(csvLines[0]).toBe(
      'kind,transactionId,partnerEventId,source,expectedQuantity,expectedAmountMinor,expectedCurrency,actualQuantity,actualAmountMinor,actualCurrency,detectedAt',
    );
    expect(csvLines).toHaveLength(firstReport.mismatches.length + 1);
    const table = await reconcile();
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`Reconciliation of sale ${s.sale.saleId} (partner demo-pay, EUR)`);
    expect(table.stdout).toMatch(new RegExp(`Mismatches: ${firstReport.mismatches.length} \\(`));
  });
});
