// One row of a partner's settlement file, checked field by field: the same fields and
// meanings as the webhook body. A bad row is refused with a reason naming the field; the
// caller adds the line number.
export const SETTLEMENT_COLUMNS = ['eventId', 'transactionId', 'type', 'quantity', 'amountMinor', 'currency', 'occurredAt'] as const;

export type SettlementRow = {
  /** The partner's own event id (as in the webhook body, without our partner prefix). */
  eventId: string;
  transactionId: string;
  type: 'payment' | 'refund';
  quantity: number;
  amountMinor: number;
  currency: string;
  occurredAt: number;
};

export type RowResult = { ok: true; row: SettlementRow } | { ok: false; reason: string };

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const MAX_ID = 200;

/** The required columns a header lacks (columns may come in any order; unknown ones are ignored). */
export function missingColumns(header: readonly string[]): string[] {
  return SETTLEMENT_COLUMNS.filter((c) => !header.includes(c));
}

export function parseSettlementRow(record: Readonly<Record<string, string | undefined>>): RowResult {
  const field = (name: (typeof SETTLEMENT_COLUMNS)[number]) => (record[name] ?? '').trim();
  const bad = (name: string, why: string): RowResult => ({ ok: false, reason: `${name}: ${why}` });

  const eventId = field('eventId');
  const transactionId = field('transactionId');
  for (const [name, value] of [
    ['eventId', eventId],
    ['transactionId', transactionId],
  ] as const) {
    if (!value) return bad(name, 'empty');
    if (value.length > MAX_ID) return bad(name, `longer than ${MAX_ID} characters`);
  }
  const type = field('type');
  if (type !== 'payment' && type !== 'refund') return bad('type', `expected "payment" or "refund", got "${type.slice(0, 20)}"`);
  const quantity = field('quantity');
  if (!/^\d{1,9}$/.test(quantity) || Number(quantity) < 1)
    return bad('quantity', `expected a whole number ≥ 1, got "${quantity.slice(0, 20)}"`);
  const amount = field('amountMinor');
  if (!/^\d{1,15}$/.test(amount)) return bad('amountMinor', `expected a whole number of minor units ≥ 0, got "${amount.slice(0, 20)}"`);
  const currency = field('currency');
  if (!/^[A-Z]{3}$/.test(currency)) return bad('currency', `expected an ISO-4217 code like EUR, got "${currency.slice(0, 20)}"`);
  const occurredAt = field('occurredAt');
  const at = Date.parse(occurredAt);
  if (!ISO_TIME.test(occurredAt) || Number.isNaN(at))
    return bad('occurredAt', `expected an ISO-8601 time, got "${occurredAt.slice(0, 40)}"`);
  return {
    ok: true,
    row: { eventId, transactionId, type, quantity: Number(quantity), amountMinor: Number(amount), currency, occurredAt: at },
  };
}
