// Who gets in, over HTTP against the running api: a token must expire, be recent, come from
// the configured issuer and be issued for the routes' audience. Operators are whoever the
// issuer issued an operator-audience token to, never a shopper's token with a claim added.
// Local HS256 tokens first; then an identity provider's RS256/ES256 keys from a JWKS URL.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUserToken } from '../../../producers/http/auth.js';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { client, scheduleSale, storeReady, uniqueId, type Call } from './storefrontClient.js';

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const product = { name: 'Limited sneaker', partnerId: 'demo-pay', priceMinor: 1999, currency: 'EUR' };

/** An HS256 token with exactly these claims, signed with the system's own AUTH_SECRET: only its claims are wrong. */
function hs256(secret: string, claims: Record<string, unknown>): string {
  const signed = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${signed}.${crypto.createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** Enters an open sale as the token's user: the transaction that user may read. */
async function enterSale(call: Call, operator: string, shopper: string): Promise<{ saleId: string; transactionId: string }> {
  const { saleId, answer } = await scheduleSale(call, operator);
  expect(answer.status).toBe(201);
  const entered = await call('POST', `/sales/${saleId}/entries`, { token: shopper });
  expect(entered.status).toBe(201);
  return { saleId, transactionId: entered.body.transactionId as string };
}

describe('local tokens (HS256 with AUTH_SECRET)', () => {
  let system: TestSystem;
  let call: Call;
  let secret: string;
  let auth: TestSystem['platform']['config']['auth'];
  /** Correct in every way but the one a case changes. */
  const claims = (over: Record<string, unknown>) => ({ iss: auth.issuer, aud: auth.audience, iat: now(), exp: now() + 300, ...over });

  beforeAll(async () => {
    system = await startTestSystem('identity', ['api', 'claims', 'projections']);
    call = client(system);
    await storeReady(system);
    ({ authSecret: secret, auth } = system.platform.config);
  });
  afterAll(() => system?.stop());

  it('refuses a user token without exp (401) on GET /transactions/:id, where the same token with exp reads it', async () => {
    const shopper = await system.userToken('u-noexp');
    const { transactionId } = await enterSale(call, await system.operatorToken(), shopper);
    expect((await call('GET', `/transactions/${transactionId}`, { token: shopper })).status).toBe(200);
    const { exp: _exp, ...noExp } = claims({ sub: 'u-noexp' });
    expect((await call('GET', `/transactions/${transactionId}`, { token: hs256(secret, noExp) })).status).toBe(401);
    // Nor one issued longer ago than AUTH_MAX_TOKEN_AGE_SECONDS, however far off its exp.
    const old = hs256(secret, claims({ sub: 'u-noexp', iat: now() - auth.maxTokenAgeSeconds - 120, exp: now() + 3600 }));
    expect((await call('GET', `/transactions/${transactionId}`, { token: old })).status).toBe(401);
  });

  it('refuses an operator token without exp with 401, before its bad body is looked at', async () => {
    // The role claim too, so that before the change it was an operator's token in every way but exp.
    const { exp: _exp, ...noExp } = claims({ sub: 'operator-1', aud: auth.operatorAudience, role: 'operator' });
    const res = await call('PUT', `/products/${uniqueId('p')}`, { token: hs256(secret, noExp), body: { name: '' } });
    expect(res.status).toBe(401);
  });

  it("refuses a shopper's token on every operator route, even one claiming the operator role (403)", async () => {
    const shopperClaimingOperator = hs256(secret, claims({ sub: 'operator-1', role: 'operator' }));
    const ofAnotherIssuer = hs256(secret, claims({ sub: 'operator-1', aud: auth.operatorAudience, iss: 'someone-else' }));
    const id = uniqueId('p');
    for (const token of [shopperClaimingOperator, await system.userToken('operator-1')]) {
      expect((await call('PUT', `/products/${id}`, { token, body: product })).status).toBe(403);
      expect((await call('POST', '/sales', { token, body: {} })).status).toBe(403);
      expect((await call('POST', `/sales/${uniqueId('s')}/close`, { token })).status).toBe(403);
      expect((await call('GET', `/reconciliation/sales/${uniqueId('s')}`, { token })).status).toBe(403);
    }
    expect((await call('PUT', `/products/${id}`, { token: ofAnotherIssuer, body: product })).status).toBe(401);
    expect((await call('PUT', `/products/${id}`, { token: await system.operatorToken(), body: product })).status).toBe(201);
  });

  it('takes the tokens `flashsale token` mints, for the storefront and with --operator for the operator routes', async () => {
    const mint = async (...args: string[]) =>
      (await promisify(execFile)(process.execPath, ['bin/flashsale.js', 'token', ...args], { env: process.env })).stdout.trim();
    const [operator, shopper] = await Promise.all([
      mint('--user', 'cli-operator', '--operator'),
      mint('--user', 'cli-shopper', '--ttl', '120'),
    ]);
    const { saleId } = await scheduleSale(call, operator);
    expect((await call('GET', `/sales/${saleId}`, { token: shopper })).status).toBe(200);
    expect((await call('GET', `/sales/${saleId}`, { token: operator })).status).toBe(403);
  });

  it("refuses an operator's token on the storefront (403): it was issued for another audience", async () => {
    const { saleId } = await scheduleSale(call, await system.operatorToken());
    const operator = await system.operatorToken();
    expect((await call('GET', `/sales/${saleId}`, { token: operator })).status).toBe(403);
    expect((await call('POST', `/sales/${saleId}/entries`, { token: operator })).status).toBe(403);
  });
});

type Signer = { alg: 'RS256' | 'ES256'; kid: string; privateKey: CryptoKey; publicKey: CryptoKey };

describe("an identity provider's tokens (RS256/ES256 from a JWKS URL)", () => {
  const issuer = 'https://idp.flashsale.test/';
  let idp: http.Server;
  let system: TestSystem;
  let call: Call;
  let rs: Signer;
  let es: Signer;
  const issue = (s: Signer, payload: JWTPayload) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: s.alg, kid: s.kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(s.privateKey);

  beforeAll(async () => {
    const signer = async (alg: Signer['alg']): Promise<Signer> => ({
      alg,
      kid: `${alg}-1`,
      ...(await generateKeyPair(alg, { extractable: true })),
    });
    [rs, es] = await Promise.all([signer('RS256'), signer('ES256')]);
    const keys = await Promise.all([rs, es].map(async (s) => ({ ...(await exportJWK(s.publicKey)), kid: s.kid, alg: s.alg, use: 'sig' })));
    idp = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    system = await startTestSystem('identity-jwks', ['api', 'claims', 'projections'], {
      AUTH_JWKS_URL: `http://127.0.0.1:${(idp.address() as AddressInfo).port}/.well-known/jwks.json`,
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: 'https://shop.flashsale.test',
      AUTH_OPERATOR_AUDIENCE: 'https://ops.flashsale.test',
    });
    call = client(system);
    await storeReady(system);
  });
  afterAll(async () => {
    await system?.stop();
    await new Promise<void>((resolve) => idp?.close(() => resolve()));
  });

  it('lets an RS256 operator schedule a sale and an ES256 shopper enter it and read the transaction', async () => {
    const operator = await issue(rs, { sub: 'ops-1', aud: 'https://ops.flashsale.test' });
    const shopper = await issue(es, { sub: 'u-idp', aud: 'https://shop.flashsale.test' });
    const { transactionId } = await enterSale(call, operator, shopper);
    const read = await call('GET', `/transactions/${transactionId}`, { token: shopper });
    expect(read.status).toBe(200);
    expect(read.body.userId).toBe('u-idp');
  });

  it('refuses local HS256 tokens, the shopper audience on operator routes, and tokens without exp', async () => {
    const id = uniqueId('p');
    const local = await signUserToken(system.platform.config, 'ops-1', { operator: true });
    expect((await call('PUT', `/products/${id}`, { token: local, body: product })).status).toBe(401);
    const shopper = await issue(rs, { sub: 'ops-1', aud: 'https://shop.flashsale.test', role: 'operator' });
    expect((await call('PUT', `/products/${id}`, { token: shopper, body: product })).status).toBe(403);
    const noExp = await new SignJWT({ sub: 'ops-1', aud: 'https://ops.flashsale.test' })
      .setProtectedHeader({ alg: 'RS256', kid: rs.kid })
      .setIssuer(issuer)
      .setIssuedAt()
      .sign(rs.privateKey);
    expect((await call('PUT', `/products/${id}`, { token: noExp, body: product })).status).toBe(401);
  });
});
