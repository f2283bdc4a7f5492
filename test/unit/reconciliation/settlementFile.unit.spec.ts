// Reading a partner's settlement file: columns in any order, unknown ones ignored, RFC 4180
// quoting, and a malformed row named by the line it starts on, whatever the line endings.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readSettlementRows, SettlementFileError } from '../../../projections/reconciliation/settlementFile.js';

async function read(text: string, chunkSize = 7) {
  // Small chunks: records and line breaks straddle chunk boundaries, as in a large file.
  const chunks: Buffer[] = [];
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const rows = [];
  for await (const r of readSettlementRows(Readable.from(chunks))) rows.push(r);
  return rows;
}

async function failure(text: string): Promise<SettlementFileError> {
  try {
    await read(text);
  } catch (err) {
    if (err instanceof SettlementFileError) return err;
    throw err;
  }
  throw new Error('expected the file to be refused');
}

const header = 'note,occurredAt,currency,amountMinor,quantity,type,transactionId,eventId';
const row = (id: string, note = 'ok', amount = '1999') => `${note},2026-11-25T12:00:00Z,EUR,${amount},1,payment,tx-${id},${id}`;

describe('reading a settlement file', () => {
  it('reads rows with columns in any order, ignoring unknown ones, with RFC 4180 quoting', async () => {
    const rows = await read([header, row('e1', '"says ""hi"", twice"'), row('e2', '"two\nlines"'), ''].join('\n'));
    expect(rows).toEqual([
      {
        line: 2,
        row: {
          eventId: 'e1',
          transactionId: 'tx-e1',
          type: 'payment',
          quantity: 1,
          amountMinor: 1999,
          currency: 'EUR',
          occurredAt: Date.UTC(2026, 10, 25, 12),
        },
      },
      { line: 3, row: expect.objectContaining({ eventId: 'e2' }) as unknown },
    ]);
  });

  it('numbers lines right with CRLF endings, a byte-order mark, blank lines and quoted line breaks', async () => {
    const text = '\uFEFF' + [header, row('e1'), '', row('e2', '"a\r\nb"'), row('e3'), ''].join('\r\n');
    expect((await read(text)).map((r) => [r.row.eventId, r.line])).toEqual([
      ['e1', 2],
      ['e2', 4],
      ['e3', 6],
    ]);
  });

  it('refuses a malformed row with the line it starts on and the field at fault', async () => {
    const err = await failure([header, row('e1'), row('e2', '"x\r\ny"'), row('e3', 'ok', '12.50'), row('e4')].join('\r\n'));
    expect(err.message).toBe('line 5: amountMinor: expected a whole number of minor units ≥ 0, got "12.50"');
  });

  it('refuses a row with the wrong number of fields, and an unclosed quote, by line', async () => {
    expect((await failure([header, row('e1'), `${row('e2')},extra`].join('\n'))).line).toBe(3);
    const unclosed = await failure([header, row('e1', '"a\r\nb"'), row('e2'), `"open,${row('e3')}`].join('\r\n'));
    expect(unclosed.message).toMatch(/^line 5: Quote Not Closed: the parsing is finished with an opening quote$/);
  });

  it('refuses a file that is not CSV at all (a quote opening mid-field) by line, not as an internal error', async () => {
    // Found by the edge fuzzer: csv-parse's INVALID_OPENING_QUOTE has no CSV_ code prefix, and
    // POST /partners/:partnerId/settlements answered 500 for a body of `{"a":1,"a":2}`.
    expect((await failure('{"a":1,"a":2}')).message).toMatch(/^line 1: Invalid Opening Quote/);
  });

  it('refuses a header without a required column, or with one twice', async () => {
    expect((await failure('eventId,transactionId,type\ne1,tx,payment\n')).message).toMatch(
      /^line 1: the header lacks the required column\(s\) quantity, amountMinor, currency, occurredAt$/,
    );
    expect((await failure(`${header},eventId\n`)).message).toBe('line 1: column "eventId" appears twice in the header');
  });

  it('refuses an empty file, and reads a header alone as no rows', async () => {
    expect((await failure('')).message).toMatch(/empty/);
    expect(await read(`${header}\n`)).toEqual([]);
  });

  it.each([
    ['type', 'e1', 'chargeback'],
    ['quantity', 'e1', '0'],
    ['currency', 'e1', 'eur'],
    ['occurredAt', 'e1', 'yesterday'],
    ['eventId', '', ''],
  ])('refuses a bad %s', async (field, id, value) => {
    const cells: Record<string, string> = {
      note: 'n',
      occurredAt: '2026-11-25T12:00:00Z',
      currency: 'EUR',
      amountMinor: '100',
      quantity: '1',
      type: 'payment',
      transactionId: 'tx',
      eventId: id,
    };
    cells[field] = value;
    const line = header
      .split(',')
      .map((c) => cells[c])
      .join(',');
    expect((await failure(`${header}\n${line}\n`)).message).toMatch(new RegExp(`^line 2: ${field}: `));
  });
});
