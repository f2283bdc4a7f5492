// The anti-bot proof of work: ALTCHA challenges (altcha.org, altcha-lib v1), so any ALTCHA
// client (the widget, or altcha-lib's solveChallenge) solves them. A challenge is bound to
// one sale and one user through its salt parameters, signed with a key derived from
// AUTH_SECRET, expires after CHALLENGE_TTL_MS, and is accepted once: a used one is
// remembered in Redis until it would have expired anyway.
//
// Format. GET /sales/:saleId/challenge answers the ALTCHA challenge JSON
//   {algorithm: "SHA-256", challenge, maxnumber, salt, signature}
// where salt is `<random hex>?expires=<unix s>&saleId=<id>&userId=<id>&`. The solver finds
// `number` with sha256(salt + number) = challenge and sends, as the claim's
// `challengeSolution`, the ALTCHA payload: base64 of JSON {algorithm, challenge, number,
// salt, signature} (what the widget submits), or that JSON object itself.
import crypto from 'node:crypto';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib';
import type { Challenge } from 'altcha-lib/types';
import { z } from 'zod';
import { keyPrefix, type Redis } from '../../../platform/redis.js';

export const CHALLENGE_TTL_MS = 5 * 60_000;

const hex = z.string().regex(/^[0-9a-f]{64}$/);
const payloadSchema = z
  .object({
    algorithm: z.literal('SHA-256'),
    challenge: hex,
    number: z.number().int().nonnegative(),
    salt: z.string().min(1).max(512),
    signature: hex,
  })
  .strip();

export type ChallengePayload = z.infer<typeof payloadSchema>;

export type SolutionCheck = 'ok' | 'missing' | 'malformed' | 'invalid' | 'wrong_sale_or_user' | 'already_used';

export type ChallengeService = {
  issue(saleId: string, userId: string, now: number): Promise<Challenge>;
  /** Verifies a solution and, if it is good, spends it (so a second use answers already_used). */
  check(solution: unknown, saleId: string, userId: string, now: number): Promise<SolutionCheck>;
};

/** The HMAC key: its own derivation of AUTH_SECRET, so a challenge signature is never a token signature. */
export function challengeHmacKey(authSecret: string): string {
  return Buffer.from(crypto.hkdfSync('sha256', authSecret, 'flashsale', 'altcha challenge hmac', 32)).toString('hex');
}

/** A solution as the claim body carries it: the base64 ALTCHA payload, or the payload object. */
export function decodeSolution(solution: unknown): ChallengePayload | undefined {
  let candidate = solution;
  if (typeof solution === 'string') {
    if (solution.length > 2048) return undefined;
    try {
      candidate = JSON.parse(Buffer.from(solution, 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
  }
  const parsed = payloadSchema.safeParse(candidate);
  return parsed.success ? parsed.data : undefined;
}

export function createChallengeService({
  redis,
  topicPrefix,
  authSecret,
  maxNumber,
}: {
  redis: Redis;
  topicPrefix: string;
  authSecret: string;
  maxNumber: number;
}): ChallengeService {
  const hmacKey = challengeHmacKey(authSecret);
  const usedKey = (signature: string) => `${keyPrefix(topicPrefix)}challenge:used:${signature}`;
  return {
    issue: (saleId, userId, now) =>
      createChallenge({ hmacKey, maxnumber: maxNumber, expires: new Date(now + CHALLENGE_TTL_MS), params: { saleId, userId } }),

    async check(solution, saleId, userId, now) {
      if (solution === undefined || solution === null || solution === '') return 'missing';
      const payload = decodeSolution(solution);
      if (!payload) return 'malformed';
      // verifySolution checks the proof, the signature and the expiry (all covered by the salt).
      if (!(await verifySolution(payload, hmacKey, true))) return 'invalid';
      const params = extractParams(payload);
      if (params.saleId !== saleId || params.userId !== userId) return 'wrong_sale_or_user';
      const expiresMs = Number(params.expires) * 1000;
      if (!Number.isFinite(expiresMs)) return 'invalid'; // we never issue one without an expiry
      // SET NX is the atomic "first use wins" check; the key outlives the challenge's validity.
      const ttlMs = Math.max(1000, expiresMs - now + 60_000);
      const first = await redis.set(usedKey(payload.signature), '1', 'PX', ttlMs, 'NX');
      return first === 'OK' ? 'ok' : 'already_used';
    },
  };
}
