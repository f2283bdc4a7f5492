// Records each partner event once, across every API process: the atomic check lives in
// Redis. The first copy claims `<prefix>webhook:<partnerId>:<eventId>` (SET NX, in flight
// with a short TTL), records, then marks it recorded for good. A copy arriving meanwhile,
// on any process, waits for that outcome: recorded means duplicate; a released claim (the
// first copy failed) lets it record instead. A claimant that dies leaves only a TTL behind.
import crypto from 'node:crypto';
import { FlashsaleError } from '../../platform/errors.js';
import type { Redis } from '../../platform/redis.js';

export type DedupeOutcome = 'recorded' | 'duplicate';

/** Another copy is still being recorded and did not finish in time: the partner should retry. */
export class RecordingBusyError extends FlashsaleError {
  override name = 'RecordingBusyError';
  readonly retriable = true;
}

const RECORDED = 'recorded';

// Deletes the claim only if it is still ours: after our TTL ran out it may be another's.
const releaseScript = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export type WebhookDedupe = {
  once(id: string, record: () => Promise<void>): Promise<DedupeOutcome>;
};

export function createWebhookDedupe({
  redis,
  keyPrefix,
  inFlightMs = 15_000,
  waitMs = 10_000,
  pollMs = 25,
}: {
  redis: Redis;
  keyPrefix: string;
  /** Must outlast a recording attempt (the publish timeout), so a live claim never expires under its owner. */
  inFlightMs?: number;
  /** How long a concurrent copy waits for the first before giving up with RecordingBusyError. */
  waitMs?: number;
  pollMs?: number;
}): WebhookDedupe {
  return {
    async once(id, record) {
      const key = `${keyPrefix}webhook:${id}`;
      const token = `inflight:${crypto.randomUUID()}`;
      const deadline = Date.now() + waitMs;
      for (;;) {
        if ((await redis.set(key, token, 'PX', inFlightMs, 'NX')) === 'OK') {
          try {
            await record();
          } catch (err) {
            await redis.eval(releaseScript, 1, key, token).catch(() => undefined);
            throw err;
          }
          // Recorded on Kafka: that is the answer even if the mark fails (the claim then
          // expires, a redelivery records again, and consumers dedupe on the eventId).
          await redis.set(key, RECORDED).catch(() => undefined);
          return 'recorded';
        }
        if ((await redis.get(key)) === RECORDED) return 'duplicate';
        if (Date.now() >= deadline) throw new RecordingBusyError(`event ${id} is still being recorded by another request`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
  };
}
