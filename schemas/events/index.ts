// Every event type of the system, by name, and the TypeScript types derived from their schemas.
import type { Infer } from '../avro.js';
import { MismatchFlagged, MismatchResolved, RefundRequested } from './reconciliation.js';
import { PartnerPaymentReported, PartnerRefundReported } from './partner.js';
import {
  ClaimGranted,
  ClaimRejected,
  LatePaymentAccepted,
  ReservationReleased,
  ReservationSettled,
  SaleClosed,
  SaleScheduled,
  UnitsReturned,
} from './sales.js';
import { ClaimForwarded, ClaimRequested, EntryRecorded, PaymentRedirectIssued } from './storefront.js';

export const eventSchemas = {
  SaleScheduled,
  SaleClosed,
  ClaimGranted,
  ClaimRejected,
  ReservationReleased,
  ReservationSettled,
  LatePaymentAccepted,
  UnitsReturned,
  EntryRecorded,
  ClaimRequested,
  ClaimForwarded,
  PaymentRedirectIssued,
  PartnerPaymentReported,
  PartnerRefundReported,
  MismatchFlagged,
  RefundRequested,
  MismatchResolved,
} as const;

type Schemas = typeof eventSchemas;
export type EventType = keyof Schemas;
export const eventTypes = Object.keys(eventSchemas) as EventType[];

/** One event: its schema's fields plus `type`, the discriminant (the Avro record name). */
export type EventOf<T extends EventType> = { type: T } & Infer<Schemas[T]>;
export type FlashsaleEvent = { [T in EventType]: EventOf<T> }[EventType];

export function isEventType(name: string): name is EventType {
  return Object.hasOwn(eventSchemas, name);
}
