// Every event schema evolves BACKWARD-compatibly: each version reads what the one before it
// wrote, and the newest frozen version is exactly what the code uses.
import fs from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { render, versions } from '../../../scripts/gen-avsc.js';
import { backwardIncompatibility } from '../../../schemas/compatibility.js';
import { eventSchemas, eventTypes } from '../../../schemas/events/index.js';
import { MismatchFlagged } from '../../../schemas/events/reconciliation.js';
import { SaleScheduled } from '../../../schemas/events/sales.js';
import { ClaimRequested } from '../../../schemas/events/storefront.js';

describe('the schema history', () => {
  it.each(eventTypes)('%s: the newest frozen version is the one in code (run `npm run gen:avsc`)', (type) => {
    const last = versions(type).at(-1);
    expect(last, `no schemas/avsc/${type}/v1.avsc`).toBeDefined();
    expect(fs.readFileSync(last!.file, 'utf8')).toBe(render(eventSchemas[type]));
  });

  it.each(eventTypes)('%s: every version reads what the version before it wrote', (type) => {
    const history = versions(type).map((v) => JSON.parse(fs.readFileSync(v.file, 'utf8')) as unknown);
    for (let i = 1; i < history.length; i++) expect(backwardIncompatibility(history[i], history[i - 1])).toBeUndefined();
  });

  it('refuses a new required field without a default', () => {
    const withRequired = { ...ClaimRequested, fields: [...ClaimRequested.fields, { name: 'channel', type: 'string' }] };
    expect(backwardIncompatibility(withRequired, ClaimRequested)).toMatch(/channel/);
  });

  it('accepts a new optional field with a default', () => {
    const withOptional = {
      ...ClaimRequested,
      fields: [...ClaimRequested.fields, { name: 'channel', type: ['null', 'string'], default: null }],
    };
    expect(backwardIncompatibility(withOptional, ClaimRequested)).toBeUndefined();
  });

  it('reads a mismatch kind newer than the reader as the enum default (so new kinds are added at the end, with that default kept)', () => {
    const withKind = (schema: typeof MismatchFlagged, extra: string) => ({
      ...schema,
      fields: schema.fields.map((f) =>
        f.name === 'kind' && typeof f.type === 'object' && 'symbols' in f.type
          ? { ...f, type: { ...f.type, symbols: [...f.type.symbols, extra] } }
          : f,
      ),
    });
    const newer = avro.Type.forSchema(withKind(MismatchFlagged, 'some_future_kind') as unknown as avro.Schema);
    const reader = avro.Type.forSchema(MismatchFlagged as unknown as avro.Schema);
    const record = {
      eventId: 'mismatch:some_future_kind:tx-1',
      occurredAt: 1,
      correlationId: 'tx-1',
      causationId: null,
      transactionId: 'tx-1',
      saleId: null,
      kind: 'some_future_kind',
      expected: null,
      actual: null,
      partnerEventId: null,
    };
    const read = reader.fromBuffer(newer.toBuffer(record), reader.createResolver(newer)) as { kind: string };
    expect(read.kind).toBe(MismatchFlagged.fields.find((f) => f.name === 'kind')!.type.default);
  });

  it('reads a SaleScheduled v1 (before sales had their own cap on open entries) as a sale without one: null, the default applies', () => {
    const [v1, v2] = versions('SaleScheduled').map((v) => avro.Type.forSchema(JSON.parse(fs.readFileSync(v.file, 'utf8')) as avro.Schema));
    const written = {
      eventId: 'sale-1',
      occurredAt: 1,
      correlationId: 'sale-1',
      causationId: null,
      saleId: 'sale-1',
      productId: 'p-1',
      partnerId: 'demo-pay',
      stock: 5,
      priceMinor: 1999,
      currency: 'EUR',
      startsAt: 2,
      endsAt: 3,
      perUserLimit: 2,
      reservationSeconds: 300,
      challenge: 'pow',
    };
    const read = v2!.fromBuffer(v1!.toBuffer(written), v2!.createResolver(v1!)) as Record<string, unknown>;
    expect(read).toEqual({ ...written, maxOpenEntriesPerUser: null });
    const reader = avro.Type.forSchema(SaleScheduled as unknown as avro.Schema);
    expect(reader.fromBuffer(reader.toBuffer({ ...written, maxOpenEntriesPerUser: 2 }))).toMatchObject({ maxOpenEntriesPerUser: 2 });
  });
});
