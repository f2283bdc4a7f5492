// Bearer tokens, checked as identity providers issue them: a JWT with `sub` (the user id),
// `iss` = AUTH_ISSUER, `exp` and `iat` (both required; issued at most AUTH_MAX_TOKEN_AGE_SECONDS
// ago), and an `aud` that says what it is for: AUTH_AUDIENCE for the storefront,
// AUTH_OPERATOR_AUDIENCE for the operator routes. A claim inside a shopper's token makes no
// operator: the issuer must have issued the token for the operators' audience.
//
// Keys: the identity provider's (AUTH_JWKS_URL or AUTH_PUBLIC_KEY; RS256/ES256, through jose),
// and then nothing else; or, with neither set, HS256 with AUTH_SECRET, the local way, signed
// and verified with fast-jwt. (jose verifies through WebCrypto: 33 µs of CPU per HS256 token
// against fast-jwt's 4 µs on node:crypto, measured; at a few thousand claims per second that
// was an eighth of the api's CPU. RS256/ES256 cost 110/150 µs through jose, so a verified
// token is remembered, see `remembered`.)
import crypto from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AuthConfig, Config } from '../../platform/config.js';
import { unavailable } from './errors.js';

/** Who called: `shopper` and `operator` say which audiences the token was issued for. */
export type Principal = { userId: string; shopper: boolean; operator: boolean };

/** Undefined for a missing or refused token; throws (503) when the identity provider's keys cannot be had. */
export type TokenVerifier = (authorization: string | undefined) => Promise<Principal | undefined>;

/** What tokens are checked (and local ones signed) against: the AUTH_* configuration. */
export type IdentitySettings = Pick<Config, 'authSecret' | 'auth'>;

/** The defaults of platform/config.ts, for a bare secret (a test's forged token, a baseline server). */
const LOCAL: AuthConfig = {
  issuer: 'flashsale',
  audience: 'flashsale-storefront',
  operatorAudience: 'flashsale-operators',
  maxTokenAgeSeconds: 3600,
};

function settingsOf(from: string | IdentitySettings): IdentitySettings {
  return typeof from === 'string' ? { authSecret: from, auth: LOCAL } : from;
}

/** Clocks of the identity provider and ours may disagree this much (`exp`, `nbf`, `iat`). */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Verified tokens remembered per process; an hour's shoppers of a busy sale fit. */
const REMEMBERED_TOKENS = 10_000;
/** Asymmetric algorithms identity providers sign with; a key set's other keys are never used. */
const PROVIDER_ALGORITHMS = ['RS256', 'ES256'];

type SignatureCheck = (token: string) => Promise<JWTPayload>;

function hs256Check(secret: string): SignatureCheck {
  // fast-jwt checks the signature, the algorithm and `exp`/`nbf` where present; the rest is ours.
  const verify = createVerifier({ key: secret, algorithms: ['HS256'], clockTolerance: CLOCK_TOLERANCE_SECONDS * 1000 });
  return (token) => Promise.resolve(verify(token) as JWTPayload);
}

function algorithmsOf(key: crypto.KeyObject): string[] {
  if (key.asymmetricKeyType === 'rsa') return ['RS256'];
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return ['ES256'];
  throw new Error(`AUTH_PUBLIC_KEY: a ${key.asymmetricKeyType} key; RSA (RS256) or EC P-256 (ES256) expected`);
}

function providerCheck(auth: AuthConfig): SignatureCheck | undefined {
  const options = { clockTolerance: CLOCK_TOLERANCE_SECONDS };
  if (auth.publicKeyPem) {
    const key = crypto.createPublicKey(auth.publicKeyPem);
    const algorithms = algorithmsOf(key);
    return async (token) => (await jwtVerify(token, key, { ...options, algorithms })).payload;
  }
  if (auth.jwksUrl) {
    // jose keeps the set 10 minutes and fetches it again at once (at most every 30 s) for an unknown `kid`: key rotation.
    const keys = createRemoteJWKSet(new URL(auth.jwksUrl));
    return async (token) => (await jwtVerify(token, keys, { ...options, algorithms: PROVIDER_ALGORITHMS })).payload;
  }
  return undefined;
}

/**
 * The key set could not be had (the identity provider away, slow, or answering nonsense): not
 * the caller's fault, so 503 rather than 401. Any judgement of the token itself is a JOSEError
 * of its own kind; the plain JOSEError is jose's "JWKS response not 200 or not JSON".
 */
function keysUnavailable(err: unknown): boolean {
  if (!(err instanceof errors.JOSEError)) return true;
  return err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || err.constructor === errors.JOSEError;
}

const audiencesOf = (aud: unknown): unknown[] => (Array.isArray(aud) ? aud : [aud]);

/** The principal a signature-checked token names now, or undefined if its claims refuse it. */
function principalOf(claims: JWTPayload, auth: AuthConfig, nowSeconds: number): Principal | undefined {
  const { sub, iss, exp, iat } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || iss !== auth.issuer) return undefined;
  // A token without `exp` would never expire, one without `iat` would have no age.
  if (typeof exp !== 'number' || typeof iat !== 'number') return undefined;
  if (exp + CLOCK_TOLERANCE_SECONDS <= nowSeconds) return undefined;
  if (iat - CLOCK_TOLERANCE_SECONDS > nowSeconds || nowSeconds - iat > auth.maxTokenAgeSeconds + CLOCK_TOLERANCE_SECONDS) return undefined;
  const audiences = audiencesOf(claims.aud);
  const principal = { userId: sub, shopper: audiences.includes(auth.audience), operator: audiences.includes(auth.operatorAudience) };
  return principal.shopper || principal.operator ? principal : undefined;
}

export function createTokenVerifier(from: string | IdentitySettings): TokenVerifier {
  const { authSecret, auth } = settingsOf(from);
  // With an identity provider configured, AUTH_SECRET mints nothing: it also derives the
  // challenge key, and no HS256 token can pass for one of the provider's (algorithm confusion).
  const check = providerCheck(auth) ?? hs256Check(authSecret);
  // A verified token's claims, by the token: its signature never needs checking again, while
  // time (`exp`, age) is judged at each use. Oldest forgotten first.
  const remembered = new Map<string, JWTPayload>();
  return async (authorization) => {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match?.[1]) return undefined;
    const token = match[1];
    let claims = remembered.get(token);
    if (!claims) {
      try {
        claims = await check(token);
      } catch (err) {
        if (auth.jwksUrl && keysUnavailable(err)) throw unavailable("the identity provider's keys cannot be fetched; retry shortly");
        return undefined;
      }
    }
    const principal = principalOf(claims, auth, Math.floor(Date.now() / 1000));
    if (!principal) {
      remembered.delete(token);
      return undefined;
    }
    if (!remembered.has(token)) {
      if (remembered.size >= REMEMBERED_TOKENS) remembered.delete(remembered.keys().next().value!);
      remembered.set(token, claims);
    }
    return principal;
  };
}

/**
 * A local HS256 token (`flashsale token`, the demo, the tests, the bench): for the storefront,
 * or with `operator` for the operator routes only. Lives `ttlSeconds` (at most the maximum
 * token age, its default). A bare secret signs with the local defaults of issuer and audiences.
 */
export function signUserToken(
  from: string | IdentitySettings,
  userId: string,
  opts: { operator?: boolean; ttlSeconds?: number } = {},
): Promise<string> {
  const { authSecret, auth } = settingsOf(from);
  const ttlSeconds = Math.min(opts.ttlSeconds ?? auth.maxTokenAgeSeconds, auth.maxTokenAgeSeconds);
  const sign = createSigner({
    key: authSecret,
    algorithm: 'HS256',
    iss: auth.issuer,
    aud: opts.operator ? auth.operatorAudience : auth.audience,
    expiresIn: ttlSeconds * 1000,
  });
  return Promise.resolve(sign({ sub: userId }));
}
