// A partner's settlement file against what the partner told us on the stream, for one sale:
// the findings, decided over rows. The adapter (projections/reconciliation/settlement.ts)
// loads the rows that can concern the sale, calls this, and records what it returns.
//
//   - A row matches a partner event on the stream when both name the same partner event, the
//     same transaction and the same type; its figures may still differ.
//   - A row belongs to the sale of the partner event it matches, else of its transaction, else
//     of the sale its time falls in (attributeSale, for transactions we never saw).
//   - A row of the sale with no match is missing_from_stream; a match with other figures is an
//     amount_mismatch (amount or currency) and/or a quantity_mismatch.
//   - A partner event of the sale reported up to the file's latest time with no row is
//     missing_from_file (events after it are not expected in the file yet).
import { type Figures, type Mismatch, mismatchId } from './mismatch.js';
import type { SettlementRow } from './settlementRow.js';

/** A partner event as we recorded it from the stream (a PartnerPaymentReported or PartnerRefundReported). */
export type StreamReport = {
  /** Our eventId: `<partnerId>:<partnerEventId>`. */
  eventId: string;
  /** The partner's own id, as the file lists it. */
  partnerEventId: string;
  transactionId: string;
  kind: SettlementRow['type'];
  /** The sale it was joined to, or null while we know none. */
  saleId: string | null;
  figures: Figures;
  reportedAt: number;
};

/** A row of the file, with what we know of its transaction: the sale it was granted in, and the sale its time falls in. */
export type FileRow = {
  row: SettlementRow;
  transactionSaleId: string | null;
  attributedSaleId: string | null;
};

type Found = {
  kind: Mismatch['kind'];
  transactionId: string;
  partnerEventId: string;
  expected: Figures | null;
  actual: Figures | null;
  variant?: string;
};

export type SettlementComparison = {
  /** The file's rows that belong to the sale. */
  rowsOfSale: number;
  findings: Mismatch[];
};

/**
 * Compares the file with the stream for one sale. `stream` holds the partner's reports of the
 * sale and any that a file row names; `file.rows` at least the rows that may belong to the
 * sale, in file order; `file.coversUntil` is the latest time in the whole file (null: empty).
 * `detectedAt` stamps every finding.
 */
export function compareSettlement(
  stream: readonly StreamReport[],
  file: { rows: readonly FileRow[]; coversUntil: number | null },
  { saleId, partnerId, detectedAt }: { saleId: string; partnerId: string; detectedAt: number },
): SettlementComparison {
  const key = (partnerEventId: string, transactionId: string, kind: string) => JSON.stringify([partnerEventId, transactionId, kind]);
  const reports = new Map(stream.map((r) => [key(r.partnerEventId, r.transactionId, r.kind), r]));
  const findings: Mismatch[] = [];
  const finding = (kind: Mismatch['kind'], { transactionId, partnerEventId, expected, actual, variant }: Omit<Found, 'kind'>) =>
    findings.push({
      mismatchId: mismatchId(kind, transactionId, partnerEventId, variant),
      kind,
      transactionId,
      saleId,
      partnerEventId,
      expected,
      actual,
      detectedAt,
    });

  const inFile = new Set<string>();
  let rowsOfSale = 0;
  for (const { row, transactionSaleId, attributedSaleId } of file.rows) {
    const k = key(row.eventId, row.transactionId, row.type);
    inFile.add(k);
    const match = reports.get(k);
    if ((match?.saleId ?? transactionSaleId ?? attributedSaleId) !== saleId) continue;
    rowsOfSale++;
    const theirs = { quantity: row.quantity, amountMinor: row.amountMinor, currency: row.currency };
    if (!match) {
      finding('missing_from_stream', {
        transactionId: row.transactionId,
        partnerEventId: `${partnerId}:${row.eventId}`,
        expected: null,
        actual: theirs,
      });
      continue;
    }
    const ours = match.figures;
    const figures = { transactionId: row.transactionId, partnerEventId: match.eventId, expected: ours, actual: theirs };
    if (ours.amountMinor !== theirs.amountMinor || ours.currency !== theirs.currency)
      finding('amount_mismatch', { ...figures, variant: 'settlement' });
    if (ours.quantity !== theirs.quantity) finding('quantity_mismatch', { ...figures, variant: 'settlement' });
  }

  const { coversUntil } = file;
  if (coversUntil !== null) {
    const missing = stream
      .filter((r) => r.saleId === saleId && r.reportedAt <= coversUntil && !inFile.has(key(r.partnerEventId, r.transactionId, r.kind)))
      .sort((a, b) => a.reportedAt - b.reportedAt || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    for (const r of missing)
      finding('missing_from_file', { transactionId: r.transactionId, partnerEventId: r.eventId, expected: r.figures, actual: null });
  }
  return { rowsOfSale, findings };
}
