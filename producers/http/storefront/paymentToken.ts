// The token the user carries to the partner's payment page: an encrypted JWT (JWE compact,
// `alg: dir`, `enc: A256GCM`, made with jose). AES-GCM both hides and authenticates it, so
// only a holder of the partner's key can read it, and nobody without that key can forge or
// alter it. The key is the partner's own derivation of PAYMENT_TOKEN_KEY (HKDF-SHA256,
// info "payment token:<partnerId>"), so one partner cannot read another's tokens; an
// operator hands each partner its key (partnerPaymentKey).
//
// Claims: iss "flashsale", aud <partnerId>, sub and transactionId <TransactionID>, saleId,
// quantity, amountMinor, currency, expiresAt (ISO-8601, when the reservation lapses),
// exp (the same instant in unix seconds), iat, jti (the PaymentRedirectIssued event id).
import crypto from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

export type PaymentTokenClaims = {
  transactionId: string;
  saleId: string;
  partnerId: string;
  quantity: number;
  amountMinor: number;
  currency: string;
  /** Epoch ms: the reservation's expiry. */
  expiresAt: number;
};

const ISSUER = 'flashsale';

export function partnerPaymentKey(paymentTokenKey: string, partnerId: string): Uint8Array {
  return new Uint8Array(crypto.hkdfSync('sha256', paymentTokenKey, 'flashsale', `payment token:${partnerId}`, 32));
}

export async function issuePaymentToken(key: Uint8Array, claims: PaymentTokenClaims, tokenId: string): Promise<string> {
  return new EncryptJWT({
    transactionId: claims.transactionId,
    saleId: claims.saleId,
    quantity: claims.quantity,
    amountMinor: claims.amountMinor,
    currency: claims.currency,
    expiresAt: new Date(claims.expiresAt).toISOString(),
  })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', typ: 'JWT', kid: claims.partnerId })
    .setIssuer(ISSUER)
    .setAudience(claims.partnerId)
    .setSubject(claims.transactionId)
    .setJti(tokenId)
    .setIssuedAt()
    .setExpirationTime(Math.ceil(claims.expiresAt / 1000))
    .encrypt(key);
}

/** What the partner does with the token (and what our tests do): decrypt, check issuer, audience and expiry. */
export async function readPaymentToken(token: string, key: Uint8Array, partnerId: string): Promise<PaymentTokenClaims> {
  const { payload } = await jwtDecrypt(token, key, {
    issuer: ISSUER,
    audience: partnerId,
    keyManagementAlgorithms: ['dir'],
    contentEncryptionAlgorithms: ['A256GCM'],
  });
  return {
    transactionId: String(payload.transactionId),
    saleId: String(payload.saleId),
    partnerId,
    quantity: Number(payload.quantity),
    amountMinor: Number(payload.amountMinor),
    currency: String(payload.currency),
    expiresAt: Date.parse(String(payload.expiresAt)),
  };
}
