// Which projection write failures dead-letter the records and which make the batch wait.
import { describe, expect, it } from 'vitest';
import { isRecordsFault } from '../../../projections/transactions/consumer.js';

const withCode = (code: string) => Object.assign(new Error('db'), { code });

describe('projection write failures', () => {
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
      expect(isRecordsFault(err)).toBe(false);
    }
  });

  it('blames the records for a data exception or an integrity violation', () => {
    for (const code of ['22P02', '22003', '23502', '23514']) expect(isRecordsFault(withCode(code))).toBe(true);
  });
});
