// Streams a partner's settlement file (CSV, RFC 4180, header row, columns in any order,
// unknown columns ignored) into validated rows, each with the line it starts on. Nothing is
// held but the record in hand, so a file may be as large as the partner likes. A malformed
// row stops the read with its line number.
import { Transform, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { missingColumns, parseSettlementRow, type SettlementRow } from '../../domain/reconciliation/settlementRow.js';
import { FlashsaleError } from '../../platform/errors.js';

export class SettlementFileError extends FlashsaleError {
  override name = 'SettlementFileError';
  readonly retriable = false;
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

/**
 * Line numbers from byte offsets. csv-parse reports where each record ends in bytes; its
 * own line count goes wrong on CRLF inside quoted fields, so lines are counted here from the
 * bytes themselves. Only the bytes after the last record are kept.
 */
function lineTracker() {
  let pending: Buffer = Buffer.alloc(0);
  let base = 0; // absolute offset of pending[0]
  let newlinesBefore = 0; // '\n' bytes before base
  return {
    tap: new Transform({
      transform(chunk: Buffer, _enc, done) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        done(null, chunk);
      },
    }),
    /** The line on which the first non-empty line at or after byte `from` starts; forgets what lies before `from`. */
    lineAt(from: number): number {
      const skip = Math.max(0, Math.min(from - base, pending.length));
      for (let i = 0; i < skip; i++) if (pending[i] === 10) newlinesBefore++;
      pending = pending.subarray(skip);
      base += skip;
      let blank = 0;
      for (let i = 0; i < pending.length && (pending[i] === 10 || pending[i] === 13); i++) if (pending[i] === 10) blank++;
      return 1 + newlinesBefore + blank;
    },
  };
}

export async function* readSettlementRows(input: Readable): AsyncGenerator<{ line: number; row: SettlementRow }> {
  const lines = lineTracker();
  // Our own header handling (columns: false) so every record, the header included, reports where it ends.
  // Field counts are checked here (relax_column_count) so the error names the row's own line.
  const parser = input
    .pipe(lines.tap)
    .pipe(parse({ bom: true, skip_empty_lines: true, info: true, relax_quotes: false, relax_column_count: true }));
  input.on('error', (err) => parser.destroy(err));
  let header: string[] | undefined;
  let recordStart = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      const line = lines.lineAt(recordStart);
      recordStart = info.bytes;
      if (!header) {
        header = record.map((c) => c.trim());
        const repeated = header.find((c, i) => c && header!.indexOf(c) !== i);
        if (repeated) throw new SettlementFileError(line, `column "${repeated}" appears twice in the header`);
        const missing = missingColumns(header);
        if (missing.length) throw new SettlementFileError(line, `the header lacks the required column(s) ${missing.join(', ')}`);
        continue;
      }
      if (record.length !== header.length)
        throw new SettlementFileError(line, `expected ${header.length} fields as in the header, got ${record.length}`);
      const fields: Record<string, string> = {};
      header.forEach((name, i) => (fields[name] = record[i] ?? ''));
      const parsed = parseSettlementRow(fields);
      if (!parsed.ok) throw new SettlementFileError(line, parsed.reason);
      yield { line, row: parsed.row };
    }
  } catch (err) {
    if (err instanceof SettlementFileError) throw err;
    // A CSV syntax error (an unclosed quote, a quote opening mid-field...) arrives before the
    // records parsed ahead of it; its `bytes` is where the failing record starts. Its codes do
    // not all start with CSV_ (INVALID_OPENING_QUOTE, found by the fuzzer as a 500).
    const e = err as { code?: string; message?: string; bytes?: number };
    if (err instanceof CsvError || e.code?.startsWith('CSV_')) {
      // csv-parse's own "at line N" counts CRLF inside quotes twice: ours replaces it.
      const reason = String(e.message ?? e.code).replace(/,? (at|on) line \d+/g, '');
      throw new SettlementFileError(lines.lineAt(e.bytes ?? recordStart), reason);
    }
    throw err;
  }
  if (!header) throw new SettlementFileError(1, 'the file is empty: a header row is required');
}
