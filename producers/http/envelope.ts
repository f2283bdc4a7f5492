// The envelope of an event the edge publishes: a fresh id, the time, and the chain it
// belongs to (the TransactionID where there is one, else the sale).
import crypto from 'node:crypto';

export function envelope(correlationId: string, now = Date.now()) {
  return { eventId: crypto.randomUUID(), occurredAt: now, correlationId, causationId: null };
}
