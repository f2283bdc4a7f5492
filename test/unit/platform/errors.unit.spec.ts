import { describe, expect, it } from 'vitest';
import { classifyFailure, isRetriable, NotReadyError, StoreNotReadyError } from '../../../platform/errors.js';
import { UndecodableRecordError } from '../../../platform/registry/codec.js';
import { MalformedClaimError } from '../../../consumers/claims/decisionMaker.js';
import { waitOutInfrastructure } from '../../../writeModel/transient.js';

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

  it('takes a Redis script error, or a library error that says retrying will not help, as the record’s fault', () => {
    expect(classifyFailure(replyError('ERR bad argument'))).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('retries exceeded'), { retriable: false }))).toBe('permanent');
  });

  it('leaves anything else unknown, so the consumer runner keeps its bounded retries for it', () => {
    expect(classifyFailure(new Error('Connection is closed.'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
    expect(isRetriable(new Error('Connection is closed.'))).toBe(false);
    expect(isRetriable(new NotReadyError('rebuilding'))).toBe(true);
  });
});

describe('a store writer waiting out its infrastructure', () => {
  it('waits out an unknown failure (Redis or Kafka unreachable) as NotReadyError', () => {
    const err = thrownBy(() => waitOutInfrastructure(new Error('Connection is closed.'), 'deciding claims'));
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as Error).message).toBe('deciding claims: Connection is closed.');
  });

  it('passes the record’s own faults through, to be dead-lettered after the runner’s retries', () => {
    const script = replyError('ERR bad argument');
    expect(thrownBy(() => waitOutInfrastructure(script, 'deciding claims'))).toBe(script);
    const malformed = new MalformedClaimError('quantity 0');
    expect(thrownBy(() => waitOutInfrastructure(malformed, 'deciding claims'))).toBe(malformed);
  });
});
