// Webhook signatures (the partners sign theirs to us, we sign our refund calls to them): `Flashsale-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<raw body>">`. Checked over the raw bytes (re-serialised JSON would not match), in
// constant time, against each of the partner's secrets (a second one during rotation), and
// only within 300 s of now so a captured request cannot be replayed later.
import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'Flashsale-Signature';
export const SIGNATURE_TOLERANCE_SECONDS = 300;
/** Checked against for a partner without secrets, only to spend the same time; never accepted. */
const UNKNOWN_PARTNER_SECRET = crypto.randomBytes(32).toString('hex');

export type SignatureRefusal = 'missing' | 'malformed' | 'stale' | 'unknown_partner' | 'mismatch';
export type SignatureVerdict = { ok: true } | { ok: false; reason: SignatureRefusal };

function hmac(secret: string, t: string, payload: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update(`${t}.`).update(payload).digest();
}

/** The header a partner sends; partners (and our tests and demo) sign with it. */
export function signWebhook(secret: string, payload: string | Buffer, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${hmac(secret, String(t), Buffer.from(payload)).toString('hex')}`;
}

/** The header's timestamp (the last `t=` given) and every well-formed v1 signature in it. */
function readHeader(header: string): { t: string | undefined; candidates: Buffer[] } {
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const [key, value] = [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    if (key === 't') t = value;
    // Several v1 values are allowed (a partner signing with old and new secret at once).
    else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  return { t, candidates };
}

export function verifyWebhookSignature({
  header,
  payload,
  secrets,
  nowSeconds,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
}: {
  header: string | undefined;
  payload: Buffer;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds?: number;
}): SignatureVerdict {
  if (!header) return { ok: false, reason: 'missing' };
  const { t, candidates } = readHeader(header);
  if (!t || !/^\d{1,12}$/.test(t) || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - Number(t)) > toleranceSeconds) return { ok: false, reason: 'stale' };
  let match = false;
  // An unknown partner costs the same HMAC as a known one: how long the refusal took must not
  // tell which partner ids exist (the refusal's body does not either, see webhookRouter.ts).
  for (const secret of secrets.length > 0 ? secrets : [UNKNOWN_PARTNER_SECRET]) {
    const expected = hmac(secret, t, payload);
    // Every candidate against every secret, no early exit: the time taken says nothing about which byte differed.
    for (const candidate of candidates) match = crypto.timingSafeEqual(expected, candidate) || match;
  }
  if (secrets.length === 0) return { ok: false, reason: 'unknown_partner' };
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/**
 * The same check over a body too large to hold (a settlement file): feed it chunk by chunk as
 * it streams in, then ask for the verdict. The timestamp is checked first, so a stale or
 * malformed header can be refused before the body is read.
 */
export function createStreamedSignatureCheck({
  header,
  secrets,
  nowSeconds,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
}: {
  header: string | undefined;
  secrets: readonly string[];
  nowSeconds: number;
  toleranceSeconds?: number;
}): { early: SignatureVerdict; update(chunk: Buffer): void; verdict(): SignatureVerdict } {
  const { t, candidates } = header ? readHeader(header) : { t: undefined, candidates: [] };
  const early: SignatureVerdict = !header
    ? { ok: false, reason: 'missing' }
    : !t || !/^\d{1,12}$/.test(t) || candidates.length === 0
      ? { ok: false, reason: 'malformed' }
      : Math.abs(nowSeconds - Number(t)) > toleranceSeconds
        ? { ok: false, reason: 'stale' }
        : { ok: true };
  const macs = (secrets.length > 0 ? secrets : [UNKNOWN_PARTNER_SECRET]).map((s) => crypto.createHmac('sha256', s).update(`${t}.`));
  return {
    early,
    update: (chunk) => macs.forEach((m) => m.update(chunk)),
    verdict() {
      if (!early.ok) return early;
      let match = false;
      for (const mac of macs) {
        const expected = mac.digest();
        for (const candidate of candidates) match = crypto.timingSafeEqual(expected, candidate) || match;
      }
      if (secrets.length === 0) return { ok: false, reason: 'unknown_partner' };
      return match ? { ok: true } : { ok: false, reason: 'mismatch' };
    },
  };
}
