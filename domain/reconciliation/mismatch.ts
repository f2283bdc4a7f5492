// A mismatch: one disagreement between our events and the partner's about one transaction,
// named by a deterministic id so that a replay, a restart or a second run flags it once.
import type { EventOf } from '../../schemas/events/index.js';

export type Figures = { quantity: number; amountMinor: number; currency: string };

export type MismatchKind = EventOf<'MismatchFlagged'>['kind'];

/** The kinds the stream join finds; the other two come from a partner's settlement file. */
export type StreamMismatchKind = Exclude<MismatchKind, 'missing_from_stream' | 'missing_from_file'>;

export type Mismatch = {
  /** `mismatch:<kind>:<transactionId>[:<partner event>]`: the primary key of the row and the eventId of MismatchFlagged. */
  mismatchId: string;
  kind: MismatchKind;
  transactionId: string;
  /** The sale it belongs to: the grant's, or for a transaction we never granted, the one attributed by time. */
  saleId: string | null;
  /** Our eventId of the partner event that revealed it (`<partnerId>:<partnerEventId>`). */
  partnerEventId: string | null;
  expected: Figures | null;
  actual: Figures | null;
  /** When the evidence was complete, in event time (epoch ms): the same on every replay. */
  detectedAt: number;
};

/**
 * The deterministic id. The partner event part is our eventId of that event, which already
 * carries the partner (`<partnerId>:<partnerEventId>`); `variant` keeps a settlement-file
 * finding apart from a stream finding of the same kind about the same event.
 */
export function mismatchId(kind: MismatchKind, transactionId: string, partnerEventId?: string | null, variant?: string): string {
  return ['mismatch', kind, transactionId, ...(partnerEventId ? [partnerEventId] : []), ...(variant ? [variant] : [])].join(':');
}

/** The event published on the reconciliation topic: its time is the detection time, so a replay would publish the same bytes. */
export function toMismatchFlagged(m: Mismatch): EventOf<'MismatchFlagged'> {
  return {
    type: 'MismatchFlagged',
    eventId: m.mismatchId,
    occurredAt: m.detectedAt,
    correlationId: m.transactionId,
    causationId: m.partnerEventId,
    transactionId: m.transactionId,
    saleId: m.saleId,
    kind: m.kind,
    expected: m.expected,
    actual: m.actual,
    partnerEventId: m.partnerEventId,
  };
}
