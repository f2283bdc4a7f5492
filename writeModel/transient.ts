// Which failures a store consumer waits out instead of dead-lettering. Redis or Kafka being
// unreachable says nothing about the record in hand: dead-lettering it would lose a claim (or
// leave a decision in Redis that never reaches Kafka), so such failures are retried without
// limit (NotReadyError). A script error (ReplyError) or a malformed record is about the record:
// those keep the runner's bounded retries and end in the dead-letter topic.
import { NotReadyError } from '../platform/kafka/consumerRunner.js';

export function waitOutInfrastructure(err: unknown, what: string): never {
  if (!(err instanceof Error)) throw new NotReadyError(`${what}: ${String(err)}`);
  if (err instanceof NotReadyError || err.name === 'ReplyError' || (err as { retriable?: unknown }).retriable === false) throw err;
  throw new NotReadyError(`${what}: ${err.message}`);
}
