// Errors that cross a boundary (a handler to the consumer runner, the store to the HTTP edge):
// each says in its message what happened in words a person can act on, and whether waiting
// and retrying can help (kafkajs's `retriable` flag is the model). Which failures are worth
// waiting out is decided here, in classifyFailure, and nowhere else: every consumer, store
// writer and reader of the topics asks it.

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
 * - transient: a part we depend on is down, busy, read-only or not ready; the record in hand is
 *   fine and waiting helps.
 * - permanent: the failure is about the record (or the code); the same input fails the same way.
 * - unknown: nothing says which. Each caller decides what that means for it: the consumer runner
 *   retries a bounded number of times and then dead-letters; a writer that must not lose a
 *   record waits (waitUnlessRecordsFault below), because dead-lettering a claim or a payment
 *   for a fault of Redis, Postgres or Kafka would lose it.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

// Node's socket errors: the part at the other end is not there (yet, or any more).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
]);
// mappersmith (the registry client's HTTP layer) reports its own request timeout as "Timeout (N ms)".
const NETWORK_MESSAGE =
  /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|socket hang up|Timeout \(\d+ms\))/;

/**
 * Redis replies that are about the server, not the script's input: out of memory under
 * noeviction, a read-only replica, loading its dataset, busy with a long script, refusing writes
 * after a failed snapshot, a replica without its master, too few replicas, a cluster resharding.
 * Redis 7 passes the code through from inside a script; older servers wrap it in "ERR Error running script ... -CODE".
 */
const REDIS_UNAVAILABLE_REPLY =
  /^(?:ERR Error running script.*?-)?(OOM|READONLY|LOADING|BUSY|MISCONF|MASTERDOWN|NOREPLICAS|TRYAGAIN|CLUSTERDOWN)\b/s;

/** ioredis's own: the connection is gone, or a command gave up reconnecting. */
const REDIS_CONNECTION_MESSAGE = /^(Connection is closed\.?|Stream isn't writeable|connect ETIMEDOUT|Command timed out)/;

/** node-postgres's own: the socket went away under a client, or a pooled connection could not be had in time. */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Query read timeout)/;

/**
 * SQLSTATE classes and codes that are about the server: 08 connection exceptions, 53
 * insufficient resources, 57P01-57P03 shut down or not yet accepting connections, 40001 and
 * 40P01 serialization failure and deadlock (the same transaction succeeds alone).
 */
const PG_TRANSIENT_SQLSTATE = /^(08[0-9A-Z]{3}|53[0-9A-Z]{3}|57P0[123]|40001|40P01)$/;
/** 22 data exception, 23 integrity violation: the rows the records make do not fit. */
const PG_RECORDS_SQLSTATE = /^2[23][0-9A-Z]{3}$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;

/** kafkajs errors that say "not retriable" while only meaning kafkajs's own retries gave up on a broker that is not there. */
const KAFKA_UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
]);
const KAFKA_UNAVAILABLE_TYPES = new Set([
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_ENOUGH_REPLICAS',
  'NOT_ENOUGH_REPLICAS_AFTER_APPEND',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'BROKER_NOT_AVAILABLE',
  'KAFKA_STORAGE_ERROR',
  'UNKNOWN_TOPIC_OR_PARTITION',
]);

type Described = Error & { code?: unknown; status?: unknown; retriable?: unknown; type?: unknown; cause?: unknown };

/**
 * The Confluent schema registry client's ResponseError. 404 (no such schema or subject), 409
 * (incompatible) and 422 (invalid schema) are about what was asked; the network (which it
 * reports as status 400 with the socket's message), a 5xx, a timeout, throttling or refused
 * credentials are about the registry.
 */
function registryFailure(err: Described): FailureKind | undefined {
  if (err.name !== 'ResponseError' || typeof err.status !== 'number') return undefined;
  if (err.status === 404 || err.status === 409 || err.status === 422) return 'permanent';
  if (err.status === 400) return NETWORK_MESSAGE.test(err.message) ? 'transient' : 'unknown';
  return 'transient';
}

/** The network, whoever's client saw it. */
function networkFailure(err: Described): FailureKind | undefined {
  return typeof err.code === 'string' && NETWORK_CODES.has(err.code) ? 'transient' : undefined;
}

function redisFailure(err: Described): FailureKind | undefined {
  if (err.name === 'MaxRetriesPerRequestError' || REDIS_CONNECTION_MESSAGE.test(err.message)) return 'transient';
  // A script refused its input, or the server refused for now.
  if (err.name === 'ReplyError') return REDIS_UNAVAILABLE_REPLY.test(err.message) ? 'transient' : 'permanent';
  return undefined;
}

function postgresFailure(err: Described): FailureKind | undefined {
  if (PG_CONNECTION_MESSAGE.test(err.message)) return 'transient';
  if (typeof err.code !== 'string' || !SQLSTATE.test(err.code)) return undefined;
  if (PG_TRANSIENT_SQLSTATE.test(err.code)) return 'transient';
  return PG_RECORDS_SQLSTATE.test(err.code) ? 'permanent' : 'unknown';
}

/** kafkajs's flag, except where "retries exceeded" or a timeout only means its own retries gave up. */
function brokerFailure(err: Described, depth: number): FailureKind | undefined {
  if (!err.name.startsWith('KafkaJS')) return undefined;
  if (err.name === 'KafkaJSNumberOfRetriesExceeded' && err.cause instanceof Error) return causeFailure(err, depth);
  if (KAFKA_UNAVAILABLE_NAMES.has(err.name)) return 'transient';
  if (typeof err.type === 'string' && KAFKA_UNAVAILABLE_TYPES.has(err.type)) return 'transient';
  return err.retriable === true ? 'transient' : undefined;
}

/** A wrapper that kept what it wraps: the cause decides; for an AggregateError, all of its members. */
function causeFailure(err: Described, depth: number): FailureKind | undefined {
  if (depth >= 5) return undefined;
  if (err.cause instanceof Error) return classifyError(err.cause, depth + 1);
  if (!(err instanceof AggregateError) || err.errors.length === 0) return undefined;
  const kinds = err.errors.map((e: unknown) => (e instanceof Error ? classifyError(e as Described, depth + 1) : 'unknown'));
  return kinds.every((k) => k === 'transient') ? 'transient' : undefined;
}

function classifyError(err: Described, depth: number): FailureKind {
  if (err instanceof FlashsaleError) return err.retriable ? 'transient' : 'permanent';
  const known = networkFailure(err) ?? redisFailure(err) ?? postgresFailure(err) ?? registryFailure(err) ?? brokerFailure(err, depth);
  if (known !== undefined) return known;
  // A library's own typed error that says retrying will not help (kafkajs's flag, the model for ours).
  if (err.retriable === false) return 'permanent';
  return causeFailure(err, depth) ?? 'unknown';
}

export function classifyFailure(err: unknown): FailureKind {
  if (!(err instanceof Error)) return 'unknown';
  return classifyError(err, 0);
}

/** Whether waiting and retrying helps: what the consumer runner reads to wait without limit instead of dead-lettering. */
export function isRetriable(err: unknown): boolean {
  return classifyFailure(err) === 'transient';
}

/** The failure's message, for a log line or a readiness body. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * For writers where losing a record is worse than stalling (the store writers, the read
 * models): whatever is not known to be the record's fault is waited out (NotReadyError, which
 * the consumer runner retries without limit and shows in /readyz). A record's own fault keeps
 * the runner's bounded retries and ends in the dead-letter topic.
 */
export function waitUnlessRecordsFault(err: unknown, what: string): never {
  if (err instanceof NotReadyError || classifyFailure(err) === 'permanent') throw err;
  throw new NotReadyError(`${what}: ${reasonOf(err)}`, { cause: err });
}
