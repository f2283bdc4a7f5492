// Errors that cross a boundary (a handler to the consumer runner, the store to the HTTP edge):
// each says in its message what happened in words a person can act on, and whether waiting
// and retrying can help (kafkajs's `retriable` flag is the model). Which failures are worth
// waiting out is decided here, in classifyFailure, and nowhere else.

/** The base of our typed errors: the message is the reason, `retriable` whether retrying the same thing can succeed. */
export abstract class FlashsaleError extends Error {
  abstract readonly retriable: boolean;
}

/** A handler must wait (the store is being rebuilt, a dependency is down): the consumer runner retries it without limit, never dead-letters it. */
export class NotReadyError extends FlashsaleError {
  override name = 'NotReadyError';
  readonly retriable = true;
}

/** The flash-sale store was flushed and is being rebuilt from the topics: its answers would be partial. Retry shortly. */
export class StoreNotReadyError extends FlashsaleError {
  override name = 'StoreNotReadyError';
  readonly retriable = true;
  constructor() {
    super('the flash-sale store is being rebuilt from the topics; retry in a moment');
  }
}

/**
 * - transient: a part we depend on is down, busy or not ready; the record in hand is fine and waiting helps.
 * - permanent: the failure is about the record (or the code); the same input fails the same way.
 * - unknown: nothing says which. Each caller decides what that means for it: the consumer runner
 *   retries a bounded number of times and then dead-letters (a handler that wants to wait says
 *   so with a retriable error); a store writer waits (see writeModel/transient.ts), because
 *   dead-lettering a claim for a fault of Redis or Kafka would lose it.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export function classifyFailure(err: unknown): FailureKind {
  if (err instanceof FlashsaleError) return err.retriable ? 'transient' : 'permanent';
  // Transient infrastructure faults are recognised here, before the permanent cases below, and
  // only here: Redis replies OOM, READONLY, LOADING, BUSY and MISCONF (ReplyErrors that are not
  // about the script's input), pg connection errors and SQLSTATE classes 08, 57P01-57P03 and 53,
  // the schema registry unreachable, the broker unavailable (kafkajs errors, including its
  // "retries exceeded" that says retriable: false). Today none of them is, so behaviour is
  // what each caller does with 'unknown' or 'permanent'.
  if (!(err instanceof Error)) return 'unknown';
  // A Redis script refused or failed on its input: running it again gives the same answer.
  if (err.name === 'ReplyError') return 'permanent';
  // A library's own typed error that says retrying will not help (kafkajs's flag, the model for ours).
  if ((err as { retriable?: unknown }).retriable === false) return 'permanent';
  return 'unknown';
}

/** Whether waiting and retrying helps: what the consumer runner reads to retry without limit instead of dead-lettering. */
export function isRetriable(err: unknown): boolean {
  return classifyFailure(err) === 'transient';
}
