// A crowd of simulated users at one sale, through the HTTP API only: each enters, solves
// the sale's proof-of-work challenge, and claims, waiting for the decision.
import { solveChallenge } from 'altcha-lib';
import type { ApiClient } from './api.js';

export type Shopper = { userId: string; token: string };

export type ClaimOutcome =
  | { userId: string; token: string; transactionId: string; status: 'granted'; slotId: string; expiresAt: string }
  | { userId: string; token: string; transactionId?: string; status: 'rejected'; reason: string }
  | { userId: string; token: string; transactionId?: string; status: 'failed'; reason: string };

type Challenge = { algorithm: string; challenge: string; maxnumber?: number; salt: string; signature: string };

async function solve(api: ApiClient, shopper: Shopper, saleId: string): Promise<string | undefined> {
  const issued = await api.challenge(shopper.token, saleId);
  if (issued.status !== 200) return undefined;
  const c = issued.body as unknown as Challenge;
  const solution = await solveChallenge(c.challenge, c.salt, c.algorithm, c.maxnumber).promise;
  if (!solution) return undefined;
  return Buffer.from(
    JSON.stringify({ algorithm: c.algorithm, challenge: c.challenge, number: solution.number, salt: c.salt, signature: c.signature }),
  ).toString('base64');
}

export async function shop(api: ApiClient, shopper: Shopper, saleId: string, withChallenge: boolean): Promise<ClaimOutcome> {
  const base = { userId: shopper.userId, token: shopper.token };
  const entry = await api.enter(shopper.token, saleId);
  if (entry.status !== 201) return { ...base, status: 'failed', reason: `entry answered ${entry.status}` };
  const transactionId = entry.body.transactionId;
  const challengeSolution = withChallenge ? await solve(api, shopper, saleId) : undefined;
  if (withChallenge && !challengeSolution) return { ...base, transactionId, status: 'failed', reason: 'challenge not solved' };
  // A decision that takes longer than the wait is asked for again: a repeat returns the first decision.
  for (let attempt = 0; attempt < 6; attempt++) {
    const claim = await api.claim(
      shopper.token,
      saleId,
      { transactionId, quantity: 1, ...(challengeSolution ? { challengeSolution } : {}) },
      5,
    );
    const body = claim.body as { status?: string; reason?: string; slotId?: string; expiresAt?: string };
    if (claim.status === 201 && body.status === 'granted')
      return { ...base, transactionId, status: 'granted', slotId: body.slotId ?? '', expiresAt: body.expiresAt ?? '' };
    if (claim.status === 409) return { ...base, transactionId, status: 'rejected', reason: body.reason ?? 'unknown' };
    if (claim.status !== 202) return { ...base, transactionId, status: 'failed', reason: `claim answered ${claim.status}` };
  }
  return { ...base, transactionId, status: 'failed', reason: 'no decision in 30 s' };
}

/** Runs every shopper with at most `concurrency` in flight; `onDone` after each. */
export async function runCrowd(
  api: ApiClient,
  shoppers: Shopper[],
  saleId: string,
  opts: {
    concurrency: number;
    withChallenge: boolean;
    onDone?: (outcome: ClaimOutcome) => void;
    /** What a winner does next (go to the payment page, pay...), right after the grant, as a real user would. */
    afterGrant?: (outcome: Extract<ClaimOutcome, { status: 'granted' }>) => Promise<void>;
  },
): Promise<ClaimOutcome[]> {
  const outcomes: ClaimOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < shoppers.length) {
      const shopper = shoppers[next++]!;
      const outcome = await shop(api, shopper, saleId, opts.withChallenge).catch((err: unknown): ClaimOutcome => ({
        userId: shopper.userId,
        token: shopper.token,
        status: 'failed',
        reason: err instanceof Error ? err.message : 'error',
      }));
      if (outcome.status === 'granted' && opts.afterGrant) await opts.afterGrant(outcome);
      outcomes.push(outcome);
      opts.onDone?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return outcomes;
}
