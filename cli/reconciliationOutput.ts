// The reconciliation report for people (a table) and for spreadsheets (CSV, one row per
// mismatch, RFC 4180). JSON is the report exactly as GET /reconciliation/sales/:saleId
// answers it.
import type { Figures } from '../domain/reconciliation/mismatch.js';
import type { ReconciliationView } from '../projections/reconciliation/report.js';

export const FORMATS = ['table', 'json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

const figures = (f: Figures | null) => (f ? `${f.quantity} × ${f.amountMinor} ${f.currency}` : '—');

export function formatJson(view: ReconciliationView): string {
  return JSON.stringify(view.report, null, 2);
}

function csvField(value: string | number | null | undefined): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'kind',
  'transactionId',
  'partnerEventId',
  'source',
  'expectedQuantity',
  'expectedAmountMinor',
  'expectedCurrency',
  'actualQuantity',
  'actualAmountMinor',
  'actualCurrency',
  'detectedAt',
] as const;

export function formatCsv(view: ReconciliationView): string {
  const lines = [CSV_COLUMNS.join(',')];
  view.report.mismatches.forEach((m, i) => {
    const d = view.details[i];
    lines.push(
      [
        m.kind,
        m.transactionId,
        d?.partnerEventId,
        d?.source,
        m.expected?.quantity,
        m.expected?.amountMinor,
        m.expected?.currency,
        m.actual?.quantity,
        m.actual?.amountMinor,
        m.actual?.currency,
        m.detectedAt,
      ]
        .map(csvField)
        .join(','),
    );
  });
  return `${lines.join('\r\n')}\r\n`;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, c) => (c > 0 && /^-?\d+$/.test(cell) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('   ')
      .trimEnd(),
  );
}

export function formatTable(view: ReconciliationView): string {
  const { internal, partner, mismatches } = view.report;
  const out: string[] = [];
  out.push(
    `Reconciliation of sale ${view.saleId}${view.partnerId ? ` (partner ${view.partnerId}${view.currency ? `, ${view.currency}` : ''})` : ''}`,
  );
  out.push('amounts in minor units', '');
  out.push(
    ...table([
      ['', '', 'count', 'quantity', 'amountMinor'],
      ['ours', 'granted', String(internal.granted), '', ''],
      ['', 'refused', String(internal.refused), '', ''],
      ['', 'redirected', String(internal.redirected), '', ''],
      ['', 'expired', String(internal.expired), '', ''],
      ['', 'expected to be paid', '', String(internal.quantity), String(internal.amountMinor)],
      ['partner', 'paid', String(partner.paid), String(partner.quantity), String(partner.amountMinor)],
      ['', 'refunded', String(partner.refunded), '', ''],
    ]),
  );
  out.push('');
  if (mismatches.length === 0) {
    out.push('No mismatches.');
    return out.join('\n');
  }
  const byKind = new Map<string, number>();
  for (const m of mismatches) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
  out.push(`Mismatches: ${mismatches.length} (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')})`, '');
  out.push(
    ...table([
      ['KIND', 'TRANSACTION', 'EXPECTED', 'ACTUAL', 'DETECTED AT', 'SOURCE'],
      ...mismatches.map((m, i) => [
        m.kind,
        m.transactionId,
        figures(m.expected),
        figures(m.actual),
        m.detectedAt,
        view.details[i]?.source ?? '',
      ]),
    ]),
  );
  return out.join('\n');
}
