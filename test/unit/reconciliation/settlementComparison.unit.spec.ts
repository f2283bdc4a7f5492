// The settlement-file comparison over rows, without a database: which rows belong to the
// sale, and what each disagreement between the file and the stream is called.
import { describe, expect, it } from 'vitest';
import { compareSettlement, type FileRow, type StreamReport } from '../../../domain/reconciliation/settlementComparison.js';

const SALE = 'sale-1';
const OTHER = 'sale-2';
const PARTNER = 'demo-pay';
const T0 = Date.parse('2026-12-01T10:00:00Z');
const options = { saleId: SALE, partnerId: PARTNER, detectedAt: T0 + 86_400_000 };

function report(partnerEventId: string, over: Partial<StreamReport> = {}): StreamReport {
  return {
    eventId: `${PARTNER}:${partnerEventId}`,
    partnerEventId,
    transactionId: `tx-${partnerEventId}`,
    kind: 'payment',
    saleId: SALE,
    figures: { quantity: 1, amountMinor: 1999, currency: 'EUR' },
    reportedAt: T0,
    ...over,
  };
}

function row(partnerEventId: string, over: Partial<FileRow['row']> = {}, sales: Partial<Omit<FileRow, 'row'>> = {}): FileRow {
  return {
    row: {
      eventId: partnerEventId,
      transactionId: `tx-${partnerEventId}`,
      type: 'payment',
      quantity: 1,
      amountMinor: 1999,
      currency: 'EUR',
      occurredAt: T0,
      ...over,
    },
    transactionSaleId: SALE,
    attributedSaleId: SALE,
    ...sales,
  };
}

const kinds = (r: ReturnType<typeof compareSettlement>) => r.findings.map((f) => [f.kind, f.transactionId]);

describe('compareSettlement', () => {
  it('finds nothing when the file and the stream agree', () => {
    const result = compareSettlement([report('e1'), report('e2')], { rows: [row('e1'), row('e2')], coversUntil: T0 }, options);
    expect(result).toEqual({ rowsOfSale: 2, findings: [] });
  });

  it('calls a row the stream never reported missing_from_stream, with the file figures as actual', () => {
    const result = compareSettlement([], { rows: [row('e9')], coversUntil: T0 }, options);
    expect(result.findings).toEqual([
      {
        mismatchId: `mismatch:missing_from_stream:tx-e9:${PARTNER}:e9`,
        kind: 'missing_from_stream',
        transactionId: 'tx-e9',
        saleId: SALE,
        partnerEventId: `${PARTNER}:e9`,
        expected: null,
        actual: { quantity: 1, amountMinor: 1999, currency: 'EUR' },
        detectedAt: options.detectedAt,
      },
    ]);
  });

  it('flags an amount, a currency and a quantity that differ, each with the settlement variant', () => {
    const result = compareSettlement(
      [report('a'), report('c'), report('q')],
      { rows: [row('a', { amountMinor: 1000 }), row('c', { currency: 'USD' }), row('q', { quantity: 2 })], coversUntil: T0 },
      options,
    );
    expect(kinds(result)).toEqual([
      ['amount_mismatch', 'tx-a'],
      ['amount_mismatch', 'tx-c'],
      ['quantity_mismatch', 'tx-q'],
    ]);
    expect(result.findings.every((f) => f.mismatchId.endsWith(':settlement'))).toBe(true);
    expect(result.findings[0]).toMatchObject({ expected: { amountMinor: 1999 }, actual: { amountMinor: 1000 } });
  });

  it('calls a report up to the file latest time with no row missing_from_file, and waits for later ones', () => {
    const stream = [report('late', { reportedAt: T0 + 1 }), report('old', { reportedAt: T0 - 5 }), report('on', { reportedAt: T0 })];
    const result = compareSettlement(stream, { rows: [], coversUntil: T0 }, options);
    expect(kinds(result)).toEqual([
      ['missing_from_file', 'tx-old'],
      ['missing_from_file', 'tx-on'],
    ]);
  });

  it('expects nothing of an empty file', () => {
    expect(compareSettlement([report('e1')], { rows: [], coversUntil: null }, options)).toEqual({ rowsOfSale: 0, findings: [] });
  });

  it('gives a row the sale of its matching report, else its transaction, else the one its time falls in', () => {
    const stream = [report('m', { saleId: OTHER })];
    const rows = [
      // Matched to a report of another sale: not this sale's, whatever its transaction says.
      row('m', {}, { transactionSaleId: SALE, attributedSaleId: SALE }),
      // No report: its transaction's sale decides.
      row('t', {}, { transactionSaleId: OTHER, attributedSaleId: SALE }),
      // A transaction we never saw: the sale its time falls in.
      row('u', {}, { transactionSaleId: null, attributedSaleId: SALE }),
      row('v', {}, { transactionSaleId: null, attributedSaleId: null }),
    ];
    const result = compareSettlement(stream, { rows, coversUntil: T0 }, options);
    expect(result.rowsOfSale).toBe(1);
    expect(kinds(result)).toEqual([['missing_from_stream', 'tx-u']]);
  });

  it('matches on partner event, transaction and type together', () => {
    const stream = [report('e1', { kind: 'refund' })];
    const result = compareSettlement(stream, { rows: [row('e1', { type: 'payment' })], coversUntil: T0 }, options);
    expect(kinds(result)).toEqual([
      ['missing_from_stream', 'tx-e1'],
      ['missing_from_file', 'tx-e1'],
    ]);
  });
});
