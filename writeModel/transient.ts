// Which failures a store writer waits out instead of dead-lettering. Redis or Kafka being
// unreachable or refusing writes says nothing about the record in hand: dead-lettering it
// would lose a claim (or leave a decision in Redis that never reaches Kafka), so whatever is
// not known to be the record's fault is retried without limit (NotReadyError). A script error
// about its input, or a malformed record, is about the record: those keep the runner's bounded
// retries and end in the dead-letter topic. What counts as which is decided in platform/errors.ts.
import { waitUnlessRecordsFault } from '../platform/errors.js';

export function waitOutInfrastructure(err: unknown, what: string): never {
  return waitUnlessRecordsFault(err, what);
}
