// The request an HTTP answer is being made for, carried through its async calls
// (AsyncLocalStorage), so what it publishes names it: the publisher puts its id in each Kafka
// record's `request-id` header, and one shopper's request can be followed from the access log
// to the events it caused.
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ requestId: string }>();

/** The Kafka record header that carries the request id. */
export const REQUEST_ID_RECORD_HEADER = 'request-id';

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}
