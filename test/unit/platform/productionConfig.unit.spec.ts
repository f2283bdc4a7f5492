// NODE_ENV=production refuses what the public source gives away: every secret unset, a
// development default or too short, and too easy a proof of work; one line, naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, PRODUCTION_CHALLENGE_FLOOR, PRODUCTION_SECRET_MIN_BYTES } from '../../../platform/config.js';

const strong = (label: string) => `${label}-`.padEnd(PRODUCTION_SECRET_MIN_BYTES, 'x');
/** A production environment that passes: each case below spoils one variable of it. */
const good = {
  NODE_ENV: 'production',
  AUTH_SECRET: strong('auth'),
  PAYMENT_TOKEN_KEY: strong('payment'),
  PARTNER_SECRETS: `demo-pay:${strong('demo')},acme:${strong('acme')}`,
  CHALLENGE_MAX_NUMBER: String(PRODUCTION_CHALLENGE_FLOOR),
};

function refusal(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('production start was not refused');
}

describe('production configuration', () => {
  it('accepts strong secrets and the floor difficulty, and has no development default to warn about', () => {
    const config = loadConfig(good);
    expect(config.production).toBe(true);
    expect(config.devDefaults).toEqual([]);
  });

  it.each([
    ['AUTH_SECRET', { AUTH_SECRET: undefined }, /AUTH_SECRET is not set/],
    ['AUTH_SECRET', { AUTH_SECRET: 'flashsale-dev-auth-secret-do-not-use-in-production' }, /AUTH_SECRET is the development default/],
    ['AUTH_SECRET', { AUTH_SECRET: 'x'.repeat(PRODUCTION_SECRET_MIN_BYTES - 1) }, /AUTH_SECRET is 31 bytes long, under the 32/],
    ['PAYMENT_TOKEN_KEY', { PAYMENT_TOKEN_KEY: undefined }, /PAYMENT_TOKEN_KEY is not set/],
    [
      'PAYMENT_TOKEN_KEY',
      { PAYMENT_TOKEN_KEY: 'flashsale-dev-payment-token-key-do-not-use-in-production' },
      /PAYMENT_TOKEN_KEY is the development default/,
    ],
    ['PAYMENT_TOKEN_KEY', { PAYMENT_TOKEN_KEY: 'sixteen-bytes-ok' }, /PAYMENT_TOKEN_KEY is 16 bytes long/],
    ['PARTNER_SECRETS', { PARTNER_SECRETS: undefined }, /PARTNER_SECRETS: the secret of partner demo-pay is the development default/],
    [
      'PARTNER_SECRETS',
      { PARTNER_SECRETS: `acme:${strong('acme')},demo-pay:dev-secret` },
      /PARTNER_SECRETS: the secret of partner demo-pay is the development default/,
    ],
    [
      'PARTNER_SECRETS',
      { PARTNER_SECRETS: `acme:${strong('acme')},acme:short-rotation` },
      /PARTNER_SECRETS: the secret of partner acme is 14 bytes long/,
    ],
    ['CHALLENGE_MAX_NUMBER', { CHALLENGE_MAX_NUMBER: undefined }, /CHALLENGE_MAX_NUMBER is 10000, under the proof-of-work floor of 100000/],
    ['CHALLENGE_MAX_NUMBER', { CHALLENGE_MAX_NUMBER: String(PRODUCTION_CHALLENGE_FLOOR - 1) }, /CHALLENGE_MAX_NUMBER is 99999/],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'http://idp.example/.well-known/jwks.json' }, /AUTH_JWKS_URL is not https/],
  ])('refuses %s: %j', (name, spoiled, reason) => {
    const message = refusal({ ...good, ...spoiled });
    expect(message).toMatch(reason);
    expect(message).toMatch(/^refusing to run in production \(NODE_ENV=production\): /);
    expect(message).toContain(name);
    expect(message).not.toContain('\n');
    // A secret is measured, never quoted.
    for (const value of Object.values(spoiled))
      if (value && name !== 'CHALLENGE_MAX_NUMBER' && name !== 'AUTH_JWKS_URL') expect(message).not.toContain(value);
  });

  it('only warns outside production, naming each development default', () => {
    for (const NODE_ENV of [undefined, 'development', 'test']) {
      const config = loadConfig({ NODE_ENV });
      expect(config.production).toBe(false);
      expect(config.devDefaults).toEqual(['AUTH_SECRET', 'PAYMENT_TOKEN_KEY', 'PARTNER_SECRETS']);
    }
  });
});

describe('identity configuration', () => {
  it('keeps the operator audience apart from the shopper audience', () => {
    expect(() => loadConfig({ AUTH_AUDIENCE: 'shop', AUTH_OPERATOR_AUDIENCE: 'shop' })).toThrow(/AUTH_OPERATOR_AUDIENCE/);
  });

  it('takes one source of the identity provider keys, and a PEM that is a public key', () => {
    expect(() => loadConfig({ AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_PUBLIC_KEY: 'x' })).toThrow(/AUTH_PUBLIC_KEY/);
    expect(() => loadConfig({ AUTH_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nnot a key\\n-----END PUBLIC KEY-----' })).toThrow(
      /AUTH_PUBLIC_KEY: not a PEM public key/,
    );
    expect(() => loadConfig({ AUTH_JWKS_URL: 'not a url' })).toThrow(/AUTH_JWKS_URL/);
    expect(() => loadConfig({ AUTH_MAX_TOKEN_AGE_SECONDS: '0' })).toThrow(/AUTH_MAX_TOKEN_AGE_SECONDS/);
  });
});
