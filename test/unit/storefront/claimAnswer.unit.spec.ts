// The claim route's pure rules: edge refusals, Prefer: wait, and decisions as answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decisionAnswer, edgeRefusal, MAX_WAIT_SECONDS, parsePreferWait } from '../../../producers/http/storefront/claimAnswer.js';

describe('edge refusals', () => {
  it('lets only an open sale through to Kafka', () => {
    expect(edgeRefusal('open')).toBeUndefined();
    expect(edgeRefusal('sold_out')).toBe('sold_out');
    expect(edgeRefusal('scheduled')).toBe('sale_not_open');
    expect(edgeRefusal('closed')).toBe('sale_not_open');
  });
});

describe('Prefer: wait', () => {
  it('means no wait when the header is absent or carries no wait', () => {
    expect(parsePreferWait(undefined)).toEqual({ ok: true, seconds: 0 });
    expect(parsePreferWait('respond-async')).toEqual({ ok: true, seconds: 0 });
  });

  it('reads wait among other preferences, quoted or not', () => {
    expect(parsePreferWait('respond-async, wait=3')).toEqual({ ok: true, seconds: 3 });
    expect(parsePreferWait('WAIT = "2"')).toEqual({ ok: true, seconds: 2 });
    expect(parsePreferWait('wait=5; foo=bar')).toEqual({ ok: true, seconds: 5 });
  });

  it('accepts every whole number of seconds up to the maximum and refuses every one above', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => {
        const parsed = parsePreferWait(`wait=${n}`);
        expect(parsed.ok).toBe(n <= MAX_WAIT_SECONDS);
      }),
    );
  });

  it('refuses a wait that is not whole seconds', () => {
    for (const bad of ['wait=', 'wait=-1', 'wait=1.5', 'wait=abc', 'wait=1e1']) expect(parsePreferWait(bad).ok).toBe(false);
  });
});

describe('decisions as answers', () => {
  it('answers a grant with 201, the first slot as slotId, and an ISO expiry', () => {
    const answer = decisionAnswer('tx', {
      status: 'granted',
      slotIds: ['s:3', 's:4'],
      expiresAt: Date.UTC(2026, 10, 25, 12, 5),
      quantity: 2,
      amountMinor: 3998,
      currency: 'EUR',
    });
    expect(answer).toEqual({
      status: 201,
      body: {
        transactionId: 'tx',
        status: 'granted',
        slotId: 's:3',
        slotIds: ['s:3', 's:4'],
        expiresAt: '2026-11-25T12:05:00.000Z',
        quantity: 2,
        amountMinor: 3998,
        currency: 'EUR',
      },
    });
  });

  it('answers a rejection with 409 and its reason', () => {
    expect(decisionAnswer('tx', { status: 'rejected', reason: 'limit_exceeded' })).toEqual({
      status: 409,
      body: { transactionId: 'tx', status: 'rejected', reason: 'limit_exceeded' },
    });
  });
});
