// Rate limits per user and per IP, counted in Redis: beyond them, 429 with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, type TestSystem } from '../../support/system.js';
import { client, storeReady, type Call } from './storefrontClient.js';

const USER_PER_SEC = 3;
const IP_PER_SEC = 8;

let system: TestSystem;
let call: Call;

beforeAll(async () => {
  system = await startTestSystem('ratelimit', ['api', 'projections'], {
    RATE_LIMIT_USER_PER_SEC: String(USER_PER_SEC),
    RATE_LIMIT_IP_PER_SEC: String(IP_PER_SEC),
  });
  call = client(system);
  await storeReady(system);
});
afterAll(async () => {
  await system?.stop();
});

describe('rate limits', () => {
  it('answers 429 with Retry-After to a user over the limit, while another user goes on', async () => {
    const token = await system.userToken('u-busy');
    const answers = await Promise.all(Array.from({ length: USER_PER_SEC + 3 }, () => call('GET', '/sales/some-sale', { token })));
    const limited = answers.filter((a) => a.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.body.error).toMatch(/user/);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Everything under the limit got its ordinary answer (no such sale).
    expect(answers.filter((a) => a.status !== 429).every((a) => a.status === 404)).toBe(true);
  });

  it('answers 429 to an IP over the limit, whoever the users are, counting requests without a good token too', async () => {
    const tokens = await Promise.all(Array.from({ length: 30 }, (_, i) => system.userToken(`u-crowd-${i}`)));
    const answers = await Promise.all(tokens.map((token) => call('GET', '/sales/some-sale', { token })));
    const limited = answers.filter((a) => a.status === 429);
    // Fixed one-second windows: a burst straddling two windows passes at most twice the limit.
    expect(limited.length).toBeGreaterThanOrEqual(30 - 2 * IP_PER_SEC);
    expect(limited[0]!.body.error).toMatch(/IP/);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const anonymous = await Promise.all(Array.from({ length: 30 }, () => call('GET', '/sales/some-sale')));
    expect(anonymous.some((a) => a.status === 429)).toBe(true);
  });
});
