// The bearer token check: a good HS256 token gives its principal; anything else gives none.
import { createSigner } from 'fast-jwt';
import { describe, expect, it } from 'vitest';
import { createTokenVerifier, signUserToken } from '../../../producers/http/auth.js';

const secret = 'a-test-secret-long-enough-for-hs256-000';
const verify = createTokenVerifier(secret);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('bearer tokens', () => {
  it('names the user, and the operator role', async () => {
    expect(await verify(`Bearer ${await signUserToken(secret, 'u-1')}`)).toEqual({ userId: 'u-1', operator: false });
    expect(await verify(`Bearer ${await signUserToken(secret, 'op-1', { operator: true })}`)).toEqual({ userId: 'op-1', operator: true });
  });

  it('refuses an expired token, another secret, an unsigned token, no subject and a malformed header', async () => {
    const expired = createSigner({ key: secret, clockTimestamp: Date.now() - 7_200_000, expiresIn: 3_600_000 })({ sub: 'u-1' });
    const otherSecret = await signUserToken('another-secret-long-enough-for-hs256-00', 'u-1');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u-1', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    const noSubject = createSigner({ key: secret, expiresIn: 60_000 })({ role: 'operator' });
    for (const header of [
      `Bearer ${expired}`,
      `Bearer ${otherSecret}`,
      `Bearer ${unsigned}`,
      `Bearer ${noSubject}`,
      'Bearer',
      'Basic abc',
      undefined,
    ])
      expect(await verify(header)).toBeUndefined();
  });
});
