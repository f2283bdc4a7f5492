// Webhook signatures: HMAC-SHA256 over "<t>.<raw body>", any of the partner's secrets, t within 300 s.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../../platform/webhookSignature.js';

const body = Buffer.from('{"eventId":"evt-1","amountMinor":1999}');
const now = 1_790_000_000;
const verify = (header: string | undefined, secrets = ['s1', 's2'], payload = body) =>
  verifyWebhookSignature({ header, payload, secrets, nowSeconds: now });

describe('webhook signatures', () => {
  it('accepts the HMAC-SHA256 of "<t>.<raw body>" as the partner computes it', () => {
    const v1 = crypto.createHmac('sha256', 's1').update(`${now}.${body.toString()}`).digest('hex');
    expect(verify(`t=${now},v1=${v1}`)).toEqual({ ok: true });
    expect(signWebhook('s1', body, now)).toBe(`t=${now},v1=${v1}`);
  });

  it('accepts any of the partner’s secrets, so a secret can be rotated', () => {
    expect(verify(signWebhook('s2', body, now))).toEqual({ ok: true });
  });

  it('accepts a header carrying several v1 values if one matches', () => {
    const good = signWebhook('s1', body, now).split('v1=')[1]!;
    expect(verify(`t=${now},v1=${'ab'.repeat(32)},v1=${good}`)).toEqual({ ok: true });
  });

  it('refuses another secret, a tampered body, and a t the signature was not made with', () => {
    expect(verify(signWebhook('other', body, now))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify(signWebhook('s1', body, now), ['s1'], Buffer.from(body.toString().replace('1999', '1')))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verify(signWebhook('s1', body, now).replace(`t=${now}`, `t=${now - 1}`))).toEqual({ ok: false, reason: 'mismatch' });
  });

  // The exact boundary, at the verifier's own clock (`nowSeconds` injected): the e2e test
  // cannot hit it, as its clock and the server's may read different seconds.
  it('accepts t exactly 300 seconds from now, either way', () => {
    expect(verify(signWebhook('s1', body, now - 300))).toEqual({ ok: true });
    expect(verify(signWebhook('s1', body, now + 300))).toEqual({ ok: true });
  });

  it('refuses t 301 seconds or more from now, either way', () => {
    for (const offset of [-301, 301, -100_000, 100_000]) {
      expect(verify(signWebhook('s1', body, now + offset))).toEqual({ ok: false, reason: 'stale' });
    }
  });

  it('refuses a missing or malformed header and a partner without secrets', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('')).toEqual({ ok: false, reason: 'missing' });
    for (const header of ['garbage', `t=${now}`, `v1=${'a'.repeat(64)}`, `t=soon,v1=${'a'.repeat(64)}`, `t=${now},v1=xyz`]) {
      expect(verify(header)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verify(signWebhook('s1', body, now), [])).toEqual({ ok: false, reason: 'unknown_partner' });
  });
});
