// Pure rules of the claim route, kept apart so they are specified without a network:
// which sale states the edge refuses on the spot (no Kafka write), how `Prefer: wait=N` is
// read, and how a decision becomes a status code and body.
import type { Decision, SaleStatus } from './saleStorePort.js';

export const MAX_WAIT_SECONDS = 5;

export type EdgeRefusal = 'sold_out' | 'sale_not_open';

/** A sale that is sold out or not open is refused at once; only an open sale's claims reach Kafka. */
export function edgeRefusal(status: SaleStatus): EdgeRefusal | undefined {
  switch (status) {
    case 'open':
      return undefined;
    case 'sold_out':
      return 'sold_out';
    case 'scheduled':
    case 'closed':
      return 'sale_not_open';
  }
}

export type PreferWait = { ok: true; seconds: number } | { ok: false; message: string };

/**
 * `Prefer: wait=N` (RFC 7240): N whole seconds, at most MAX_WAIT_SECONDS. Other preferences
 * are ignored, as the RFC asks; a malformed or too-long wait is a 400.
 */
export function parsePreferWait(header: string | undefined): PreferWait {
  if (!header) return { ok: true, seconds: 0 };
  for (const preference of header.split(',')) {
    const [token = ''] = preference.split(';');
    const match = /^\s*wait\s*=\s*(?:"([^"]*)"|(\S*))\s*$/i.exec(token);
    if (!match) continue;
    const value = match[1] ?? match[2] ?? '';
    if (!/^\d{1,6}$/.test(value)) return { ok: false, message: `wait must be whole seconds, got "${value.slice(0, 20)}"` };
    const seconds = Number(value);
    if (seconds > MAX_WAIT_SECONDS) return { ok: false, message: `wait is at most ${MAX_WAIT_SECONDS} seconds` };
    return { ok: true, seconds };
  }
  return { ok: true, seconds: 0 };
}

export type ClaimAnswer = { status: 201 | 409; body: Record<string, unknown> };

export function decisionAnswer(transactionId: string, decision: Decision): ClaimAnswer {
  switch (decision.status) {
    case 'granted':
      return {
        status: 201,
        body: {
          transactionId,
          status: 'granted',
          slotId: decision.slotIds[0],
          slotIds: decision.slotIds,
          expiresAt: new Date(decision.expiresAt).toISOString(),
          quantity: decision.quantity,
          amountMinor: decision.amountMinor,
          currency: decision.currency,
        },
      };
    case 'rejected':
      return { status: 409, body: { transactionId, status: 'rejected', reason: decision.reason } };
  }
}
