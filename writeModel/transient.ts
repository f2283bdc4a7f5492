// Which failures a store writer waits out instead of dead-lettering. Redis or Kafka being
// unreachable says nothing about the record in hand: dead-lettering it would lose a claim (or
// leave a decision in Redis that never reaches Kafka), so whatever is not known to be the
// record's fault is retried without limit (NotReadyError). A script error (ReplyError) or a
// malformed record is about the record: those keep the runner's bounded retries and end in the
// dead-letter topic. What counts as which is decided in platform/errors.ts.
import { classifyFailure, NotReadyError } from '../platform/errors.js';

export function waitOutInfrastructure(err: unknown, what: string): never {
  if (err instanceof NotReadyError || classifyFailure(err) === 'permanent') throw err;
  throw new NotReadyError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}
