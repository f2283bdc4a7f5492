import { describe, expect, it } from 'vitest';
import { classifyFailure, isRetriable, NotReadyError, StoreNotReadyError, waitUnlessRecordsFault } from '../../../platform/errors.js';
import { SchemaRegistryUnavailableError, UndecodableRecordError } from '../../../platform/registry/codec.js';
import { MalformedClaimError } from '../../../consumers/claims/decisionMaker.js';

function replyError(message: string): Error {
  const err = new Error(message);
  err.name = 'ReplyError';
  return err;
}

function thrownBy(fn: () => never): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('classifying failures', () => {
  it('reads our typed errors by their retriable flag', () => {
    expect(classifyFailure(new NotReadyError('rebuilding'))).toBe('transient');
    expect(classifyFailure(new StoreNotReadyError())).toBe('transient');
    expect(classifyFailure(new UndecodableRecordError('no magic byte'))).toBe('permanent');
    expect(classifyFailure(new MalformedClaimError('quantity 0'))).toBe('permanent');
  });

  it('takes a Redis script error about its input, or a library error that says retrying will not help, as the record’s fault', () => {
    expect(classifyFailure(replyError('ERR bad argument'))).toBe('permanent');
    expect(classifyFailure(replyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('retries exceeded'), { retriable: false }))).toBe('permanent');
  });

  it('leaves anything else unknown, so the consumer runner keeps its bounded retries for it', () => {
    expect(classifyFailure(new Error('something odd'))).toBe('unknown');
    expect(classifyFailure(new TypeError('cannot read properties of undefined'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
    expect(isRetriable(new Error('something odd'))).toBe(false);
    expect(isRetriable(new NotReadyError('rebuilding'))).toBe(true);
  });
});

describe('recognising a part that is down or refusing writes', () => {
  const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });
  const named = (name: string, message: string, extra: object = {}) => Object.assign(Object.assign(new Error(message), { name }), extra);

  it('Redis unreachable: ioredis gave up or the connection is closed, or the socket failed', () => {
    expect(classifyFailure(named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 3).'))).toBe(
      'transient',
    );
    expect(classifyFailure(new Error('Connection is closed.'))).toBe('transient');
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']) expect(classifyFailure(withCode(code))).toBe('transient');
  });

  it('Redis answering that it cannot take writes now, from a script (Redis 7) or wrapped (older servers)', () => {
    for (const message of [
      "OOM command not allowed when used memory > 'maxmemory'. script: c5ff78, on @user_script:1.",
      "READONLY You can't write against a read only replica. script: f61ea8, on @user_script:1.",
      'LOADING Redis is loading the dataset in memory',
      'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
      'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
      "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
      'NOREPLICAS Not enough good replicas to write.',
      'TRYAGAIN Multiple keys request during rehashing of slot',
      'ERR Error running script (call to f_1234): @user_script:1: @user_script: 1: -OOM command not allowed when used memory > maxmemory',
    ]) {
      expect(classifyFailure(replyError(message)), message).toBe('transient');
    }
    expect(classifyFailure(replyError('ERR something about BUSY keys'))).toBe('permanent');
  });

  it('Postgres unreachable, restarting, short of resources, or a transaction that loses a race', () => {
    for (const err of [
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new Error('Connection terminated due to connection timeout'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      withCode('08006'),
      withCode('08001'),
      withCode('57P01'),
      withCode('57P02'),
      withCode('57P03'),
      withCode('53300'),
      withCode('53100'),
      withCode('40001'),
      withCode('40P01'),
    ]) {
      expect(classifyFailure(err), err.message + ((err as { code?: string }).code ?? '')).toBe('transient');
    }
  });

  it('Postgres rows that do not fit are the records’ fault; other SQLSTATEs are unknown', () => {
    for (const code of ['22P02', '22003', '23502', '23505', '23514']) expect(classifyFailure(withCode(code))).toBe('permanent');
    expect(classifyFailure(withCode('42P01'))).toBe('unknown');
  });

  it('the schema registry unreachable or failing, but not a schema it does not have', () => {
    const response = (status: number, message: string) => named('ResponseError', message, { status });
    expect(classifyFailure(response(400, 'flashsale - Error, status 400: connect ECONNREFUSED 127.0.0.1:8081'))).toBe('transient');
    expect(classifyFailure(response(400, 'flashsale - Error, status 400: socket hang up'))).toBe('transient');
    expect(classifyFailure(response(400, 'flashsale - Error, status 400: Timeout (10000ms)'))).toBe('transient');
    expect(classifyFailure(response(503, 'flashsale - Error, status 503'))).toBe('transient');
    expect(classifyFailure(response(500, 'flashsale - Internal Server Error'))).toBe('transient');
    expect(classifyFailure(response(404, 'flashsale - Schema 9876 not found'))).toBe('permanent');
    expect(classifyFailure(new SchemaRegistryUnavailableError('the registry did not answer'))).toBe('transient');
  });

  it('the broker unavailable, including kafkajs giving up its own retries on it', () => {
    const kafka = (name: string, retriable: boolean, extra: object = {}) => named(name, name, { retriable, ...extra });
    expect(classifyFailure(kafka('KafkaJSConnectionError', true))).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSRequestTimeoutError', true))).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSProtocolError', true, { type: 'NOT_ENOUGH_REPLICAS' }))).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSProtocolError', true, { type: 'LEADER_NOT_AVAILABLE' }))).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSProtocolError', true, { type: 'NOT_LEADER_FOR_PARTITION' }))).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSTimeout', false))).toBe('transient');
    const exceeded = kafka('KafkaJSNumberOfRetriesExceeded', false, { cause: kafka('KafkaJSConnectionError', true) });
    expect(classifyFailure(exceeded)).toBe('transient');
    expect(classifyFailure(kafka('KafkaJSProtocolError', false, { type: 'MESSAGE_TOO_LARGE' }))).toBe('permanent');
    const exceededOnBadRecord = kafka('KafkaJSNumberOfRetriesExceeded', false, {
      cause: kafka('KafkaJSProtocolError', false, { type: 'CORRUPT_MESSAGE' }),
    });
    expect(classifyFailure(exceededOnBadRecord)).toBe('permanent');
  });

  it('a wrapper is read by its cause', () => {
    expect(classifyFailure(new Error('publishing failed', { cause: withCode('ECONNREFUSED') }))).toBe('transient');
    expect(classifyFailure(new Error('folding failed', { cause: replyError('ERR bad argument') }))).toBe('permanent');
  });
});

describe('a read model waiting out everything that is not the records’ fault', () => {
  const withCode = (code: string) => Object.assign(new Error('db'), { code });

  it('waits out an unreachable or restarting database, deadlocks, serialization failures and a missing table', () => {
    for (const err of [
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      withCode('08006'),
      withCode('40P01'),
      withCode('40001'),
      withCode('57P01'),
      withCode('53300'),
      withCode('42P01'),
    ]) {
      expect(thrownBy(() => waitUnlessRecordsFault(err, 'writing'))).toBeInstanceOf(NotReadyError);
    }
  });

  it('passes a data exception or an integrity violation through, to be dead-lettered', () => {
    for (const code of ['22P02', '22003', '23502', '23514']) {
      const err = withCode(code);
      expect(thrownBy(() => waitUnlessRecordsFault(err, 'writing'))).toBe(err);
    }
  });
});

describe('a store writer waiting out its infrastructure', () => {
  it('waits out Redis or Kafka unreachable, or Redis refusing writes, as NotReadyError', () => {
    const err = thrownBy(() => waitUnlessRecordsFault(new Error('Connection is closed.'), 'deciding claims'));
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as Error).message).toBe('deciding claims: Connection is closed.');
    expect(thrownBy(() => waitUnlessRecordsFault(replyError('OOM command not allowed'), 'deciding claims'))).toBeInstanceOf(NotReadyError);
  });

  it('passes the record’s own faults through, to be dead-lettered after the runner’s retries', () => {
    const script = replyError('ERR bad argument');
    expect(thrownBy(() => waitUnlessRecordsFault(script, 'deciding claims'))).toBe(script);
    const malformed = new MalformedClaimError('quantity 0');
    expect(thrownBy(() => waitUnlessRecordsFault(malformed, 'deciding claims'))).toBe(malformed);
  });
});
