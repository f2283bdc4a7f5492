// The proof-of-work solution as a claim carries it: the ALTCHA payload, base64 or object.
import { createChallenge, solveChallenge, verifySolution } from 'altcha-lib';
import { describe, expect, it } from 'vitest';
import { challengeHmacKey, decodeSolution } from '../../../producers/http/storefront/challenge.js';

describe('challenge solutions', () => {
  it('decodes the base64 payload an ALTCHA client submits, and the same payload as an object', async () => {
    const key = challengeHmacKey('an-auth-secret-for-tests');
    const challenge = await createChallenge({ hmacKey: key, maxnumber: 1000, params: { saleId: 's', userId: 'u' } });
    const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
    const payload = { ...challenge, number: solution!.number };
    const b64 = Buffer.from(JSON.stringify(payload)).toString('base64');
    expect(decodeSolution(b64)).toMatchObject({ number: solution!.number, salt: challenge.salt });
    expect(decodeSolution(payload)).toMatchObject({ number: solution!.number });
    expect(await verifySolution(decodeSolution(b64)!, key)).toBe(true);
  });

  it('finds nothing in garbage', () => {
    for (const bad of ['', 'not base64 json', Buffer.from('{"a":1}').toString('base64'), 42, null, { number: 'x' }, 'A'.repeat(5000)]) {
      expect(decodeSolution(bad)).toBeUndefined();
    }
  });

  it('derives a challenge key of its own, not the auth secret itself', () => {
    expect(challengeHmacKey('secret-one-xxxxxxxx')).not.toBe(challengeHmacKey('secret-two-xxxxxxxx'));
    expect(challengeHmacKey('secret-one-xxxxxxxx')).not.toContain('secret');
  });
});
