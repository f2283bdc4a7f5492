// Which store failures classifyFailure calls transient (the edge answers them 503 with
// Retry-After, the consumers wait them out): the shapes ioredis and pg give their errors when
// the server is away or overloaded, and not the ones about a request.
import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../../platform/errors.js';
import { asUnavailable } from '../../../producers/http/errors.js';

const isTransient = (err: unknown) => classifyFailure(err) === 'transient';

const named = (name: string, message: string) => Object.assign(new Error(message), { name });
const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('Redis unavailable', () => {
  it.each([
    ['the retries per request are spent', named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 3).')],
    ['the connection closed', new Error('Connection is closed.')],
    ['a command timed out', new Error('Command timed out')],
    ['the connection was refused', coded('ECONNREFUSED')],
    ['the server is out of memory', named('ReplyError', "OOM command not allowed when used memory > 'maxmemory'.")],
    ['the server is loading', named('ReplyError', 'LOADING Redis is loading the dataset in memory')],
    ['a script keeps the server busy', named('ReplyError', 'BUSY Redis is busy running a script.')],
    ['the server is a read-only replica', named('ReplyError', "READONLY You can't write against a read only replica.")],
    [
      'a snapshot failed',
      named('ReplyError', 'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.'),
    ],
    ['every address refused', Object.assign(new AggregateError([coded('ECONNREFUSED')]), { code: undefined })],
  ])('is recognised when %s', (_what, err) => {
    expect(isTransient(err)).toBe(true);
    expect(asUnavailable(err)?.status).toBe(503);
  });

  it.each([
    ['a script error', named('ReplyError', 'ERR user_script:1: Script attempted to access nonexistent global variable')],
    ['a wrong type', named('ReplyError', 'WRONGTYPE Operation against a key holding the wrong kind of value')],
    ['a bug of ours', new TypeError("Cannot read properties of undefined (reading 'status')")],
    ['no error at all', undefined],
  ])('is not claimed for %s', (_what, err) => {
    expect(isTransient(err)).toBe(false);
    expect(asUnavailable(err)).toBeUndefined();
  });
});

describe('PostgreSQL unavailable', () => {
  it.each([
    ['the connection was refused', coded('ECONNREFUSED')],
    ['the connection was reset', coded('ECONNRESET')],
    ['the connection ended', new Error('Connection terminated unexpectedly')],
    ['no pooled connection came in time', new Error('timeout exceeded when trying to connect')],
    ['a connection exception (class 08)', coded('08006')],
    ['the server shut down', coded('57P01')],
    ['the server crashed', coded('57P02')],
    ['the server cannot connect now', coded('57P03')],
    ['there are too many connections', coded('53300')],
  ])('is recognised when %s', (_what, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    ['a unique violation', coded('23505')],
    ['a syntax error', coded('42601')],
    ['a missing table', coded('42P01')],
    ['a query cancelled by statement_timeout', coded('57014')],
  ])('is not claimed for %s', (_what, err) => {
    expect(isTransient(err)).toBe(false);
  });
});
