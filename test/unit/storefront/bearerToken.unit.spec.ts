// The bearer token check: a token names its principal only when signed by the configured
// keys (HS256 with AUTH_SECRET locally; an identity provider's RS256/ES256 keys, from a JWKS
// URL or a PEM), issued by AUTH_ISSUER for one of the two audiences, with `exp` and a
// recent `iat`. Anything else names nobody.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthConfig } from '../../../platform/config.js';
import { createTokenVerifier, type IdentitySettings, signUserToken } from '../../../producers/http/auth.js';
import { HttpError } from '../../../producers/http/errors.js';

const secret = 'a-test-secret-long-enough-for-hs256-000';
const auth: AuthConfig = {
  issuer: 'https://idp.example/',
  audience: 'shop-api',
  operatorAudience: 'ops-api',
  maxTokenAgeSeconds: 600,
};
const local: IdentitySettings = { authSecret: secret, auth };
const verify = createTokenVerifier(local);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
/** An HS256 token with exactly these claims: made by hand, as a signing library adds or rewrites some. */
function hs256(claims: Record<string, unknown>, key = secret, header: Record<string, unknown> = {}): string {
  const signed = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(claims)}`;
  return `${signed}.${crypto.createHmac('sha256', key).update(signed).digest('base64url')}`;
}
const valid = (over: Record<string, unknown> = {}) => ({
  sub: 'u-1',
  iss: auth.issuer,
  aud: auth.audience,
  iat: now(),
  exp: now() + 60,
  ...over,
});

describe('local (HS256) tokens', () => {
  it('names a shopper, and an operator only for a token issued for the operators audience', async () => {
    expect(await verify(`Bearer ${await signUserToken(local, 'u-1')}`)).toEqual({ userId: 'u-1', shopper: true, operator: false });
    expect(await verify(`Bearer ${await signUserToken(local, 'op-1', { operator: true })}`)).toEqual({
      userId: 'op-1',
      shopper: false,
      operator: true,
    });
  });

  it('makes no operator of a shopper token carrying an operator claim', async () => {
    expect(await verify(`Bearer ${hs256(valid({ role: 'operator' }))}`)).toEqual({ userId: 'u-1', shopper: true, operator: false });
  });

  it('refuses a token without exp or iat, expired, too old, from the future, of another issuer or audience', async () => {
    const { exp: _exp, ...noExp } = valid();
    const { iat: _iat, ...noIat } = valid();
    for (const claims of [
      noExp,
      noIat,
      valid({ exp: now() - 120 }),
      // Within its exp, but issued longer ago than the maximum age (600 s).
      valid({ iat: now() - 700, exp: now() + 3600 }),
      valid({ iat: now() + 600 }),
      valid({ iss: 'https://someone-else.example/' }),
      valid({ iss: undefined }),
      valid({ aud: 'another-api' }),
      valid({ aud: undefined }),
      valid({ sub: '' }),
    ])
      expect({ claims, principal: await verify(`Bearer ${hs256(claims)}`) }).toEqual({ claims, principal: undefined });
  });

  it('refuses another secret, an unsigned token, no subject and a malformed header', async () => {
    const otherSecret = hs256(valid(), 'another-secret-long-enough-for-hs256-00');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid())}.`;
    const noSubject = hs256(valid({ sub: undefined }));
    for (const header of [`Bearer ${otherSecret}`, `Bearer ${unsigned}`, `Bearer ${noSubject}`, 'Bearer', 'Basic abc', undefined])
      expect(await verify(header)).toBeUndefined();
  });

  it('judges a remembered token by the clock again at each use', async () => {
    const token = hs256(valid({ exp: now() + 1 }));
    expect(await verify(`Bearer ${token}`)).toBeDefined();
    // exp + 30 s of clock tolerance: move the clock rather than wait.
    const realNow = Date.now;
    Date.now = () => realNow() + 40_000;
    try {
      expect(await verify(`Bearer ${token}`)).toBeUndefined();
    } finally {
      Date.now = realNow;
    }
  });

  it('clamps a local token to the maximum age', async () => {
    const token = await signUserToken(local, 'u-1', { ttlSeconds: 24 * 3600 });
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as JWTPayload;
    expect(claims.exp! - claims.iat!).toBe(auth.maxTokenAgeSeconds);
  });
});

type Provider = { alg: 'RS256' | 'ES256'; privateKey: CryptoKey; publicKey: CryptoKey; kid: string };

async function provider(alg: Provider['alg']): Promise<Provider> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, privateKey, publicKey, kid: `${alg}-key` };
}

function issue(p: Provider, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: p.alg, kid: p.kid, ...header }).sign(p.privateKey);
}

describe("an identity provider's tokens (RS256, ES256)", () => {
  let rs: Provider;
  let es: Provider;
  let stranger: Provider;
  let server: http.Server;
  let jwksUrl: string;
  let jwksStatus = 200;
  let fetches = 0;

  beforeAll(async () => {
    [rs, es, stranger] = await Promise.all([provider('RS256'), provider('ES256'), provider('RS256')]);
    stranger.kid = rs.kid;
    const keys = await Promise.all([rs, es].map(async (p) => ({ ...(await exportJWK(p.publicKey)), kid: p.kid, alg: p.alg, use: 'sig' })));
    // The identity provider's key set, served the way one is: GET, JSON.
    server = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(jwksStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('verifies RS256 and ES256 tokens against a JWKS URL, shopper and operator audiences apart', async () => {
    const verifyJwks = createTokenVerifier({ authSecret: secret, auth: { ...auth, jwksUrl } });
    expect(await verifyJwks(`Bearer ${await issue(rs, valid())}`)).toEqual({ userId: 'u-1', shopper: true, operator: false });
    expect(await verifyJwks(`Bearer ${await issue(es, valid({ sub: 'op-1', aud: auth.operatorAudience }))}`)).toEqual({
      userId: 'op-1',
      shopper: false,
      operator: true,
    });
    expect(await verifyJwks(`Bearer ${await issue(es, valid({ aud: [auth.audience, auth.operatorAudience] }))}`)).toEqual({
      userId: 'u-1',
      shopper: true,
      operator: true,
    });
    expect(fetches).toBeGreaterThanOrEqual(1);
  });

  it('refuses, against the JWKS, a foreign key, no exp, a local HS256 token and a symmetric algorithm', async () => {
    const verifyJwks = createTokenVerifier({ authSecret: secret, auth: { ...auth, jwksUrl } });
    const { exp: _exp, ...noExp } = valid();
    for (const token of [
      await issue(stranger, valid()),
      await issue(rs, noExp),
      await issue(rs, valid({ aud: 'another-api' })),
      await signUserToken(local, 'u-1'),
      // The HS256 "key" an attacker would try: the provider's public key, as text.
      hs256(valid(), await exportSPKI(rs.publicKey), { kid: rs.kid }),
    ])
      expect(await verifyJwks(`Bearer ${token}`)).toBeUndefined();
  });

  it('answers 503, not 401, while the key set cannot be fetched', async () => {
    const verifyJwks = createTokenVerifier({ authSecret: secret, auth: { ...auth, jwksUrl } });
    jwksStatus = 500;
    try {
      await expect(verifyJwks(`Bearer ${await issue(rs, valid())}`)).rejects.toSatisfy((e) => e instanceof HttpError && e.status === 503);
    } finally {
      jwksStatus = 200;
    }
    const unreachable = createTokenVerifier({ authSecret: secret, auth: { ...auth, jwksUrl: 'http://127.0.0.1:9/jwks.json' } });
    await expect(unreachable(`Bearer ${await issue(rs, valid())}`)).rejects.toSatisfy((e) => e instanceof HttpError && e.status === 503);
  });

  it.each(['RS256', 'ES256'] as const)('verifies %s tokens against a PEM public key', async (alg) => {
    const p = alg === 'RS256' ? rs : es;
    const other = alg === 'RS256' ? es : rs;
    const verifyPem = createTokenVerifier({ authSecret: secret, auth: { ...auth, publicKeyPem: await exportSPKI(p.publicKey) } });
    expect(await verifyPem(`Bearer ${await issue(p, valid())}`)).toEqual({ userId: 'u-1', shopper: true, operator: false });
    expect(await verifyPem(`Bearer ${await issue(p, valid({ aud: auth.operatorAudience }))}`)).toMatchObject({
      operator: true,
      shopper: false,
    });
    const { exp: _exp, ...noExp } = valid();
    for (const token of [
      await issue(p, noExp),
      await issue(other, valid()),
      await issue(p, valid({ iss: 'x' })),
      await signUserToken(local, 'u-1'),
    ])
      expect(await verifyPem(`Bearer ${token}`)).toBeUndefined();
  });
});
